// How much new text is held back to find a repeated tail, in characters.
const OVERLAP_WINDOW = 80;

/** Text of `next` after the longest prefix of it that `written` already ends with. */
export function trimOverlap(written: string, next: string): string {
  const max = Math.min(written.length, next.length, OVERLAP_WINDOW);
  for (let n = max; n > 0; n--) if (written.endsWith(next.slice(0, n))) return next.slice(n);
  return next;
}

/**
 * Filters the text of a route asked to continue a broken answer, so the caller sees no duplicated text:
 * a model that starts over is skipped until it passes what was written; one that repeats the last words has them cut.
 * `push` returns the text to forward now; `end` returns what is still held when the stream finishes.
 */
export function createContinuationFilter(written: string) {
  let held = '';
  let passing = written.length === 0;
  const decide = (final: boolean): string => {
    if (written.startsWith(held) && !final) return ''; // may be a restart: keep holding
    if (held.startsWith(written)) {
      passing = true;
      return held.slice(written.length);
    }
    if (written.startsWith(held)) return ''; // finished inside what was already written
    if (held.length < OVERLAP_WINDOW && !final) return '';
    passing = true;
    return trimOverlap(written, held);
  };
  return {
    push(text: string): string {
      if (passing) return text;
      held += text;
      return decide(false);
    },
    end(): string {
      return passing ? '' : decide(true);
    },
  };
}
