// The engine's own seeded generator, under the name the tests and the simulator use.
export { createSeededRandom } from '../engine/keyed-random.js';
