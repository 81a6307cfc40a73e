/** A single-consumer push queue exposed as an async iterable: the engine pushes, the edge iterates. */
export interface AsyncChannel<T> extends AsyncIterable<T> {
  push(value: T): void;
  close(): void;
  /** Ends the iteration by throwing `error` after the values already pushed. */
  fail(error: unknown): void;
}

export function createAsyncChannel<T>(): AsyncChannel<T> {
  const buffer: T[] = [];
  let waiting: ((r: IteratorResult<T>) => void) | undefined;
  let waitingReject: ((e: unknown) => void) | undefined;
  let ended = false;
  let error: { value: unknown } | undefined;

  const settle = () => {
    if (!waiting) return;
    const resolve = waiting;
    const reject = waitingReject!;
    if (buffer.length) {
      waiting = waitingReject = undefined;
      resolve({ value: buffer.shift()!, done: false });
    } else if (error) {
      waiting = waitingReject = undefined;
      reject(error.value);
    } else if (ended) {
      waiting = waitingReject = undefined;
      resolve({ value: undefined, done: true });
    }
  };

  return {
    push(value) {
      if (ended) return;
      buffer.push(value);
      settle();
    },
    close() {
      ended = true;
      settle();
    },
    fail(e) {
      if (ended) return;
      ended = true;
      error = { value: e };
      settle();
    },
    [Symbol.asyncIterator]() {
      return {
        next: () =>
          new Promise<IteratorResult<T>>((resolve, reject) => {
            waiting = resolve;
            waitingReject = reject;
            settle();
          }),
        return: async () => {
          ended = true;
          buffer.length = 0;
          return { value: undefined, done: true };
        },
      };
    },
  };
}
