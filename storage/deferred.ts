/**
 * A promise with its resolve/reject exposed: what the writer and the append path hand out and
 * settle later (append results, flush waiters, roll markers).
 *
 * No on-disk format lives here.
 */

export const noop = (): void => {};

export class Deferred {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (e: unknown) => void;
  constructor() {
    this.promise = new Promise<void>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    // Callers may await only one of written/durable; never let the other become an unhandled rejection.
    this.promise.catch(noop);
  }
}

/** A rejected promise that is not an unhandled rejection if nobody awaits it. */
export function rejectedQuietly(err: unknown): Promise<void> {
  const p = Promise.reject(err);
  p.catch(noop);
  return p;
}
