/**
 * Bounding a wait the broker does on its own behalf (a coordinator's acks=all write, whose
 * acknowledgement in a cluster waits for the followers): the caller stops waiting after `ms`; the
 * work itself goes on (a write may still land, as Kafka's delayed produce that timed out).
 */

/** `work`, or a rejection with `error()` once `ms` passed first. */
export function within<T>(work: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | null = null;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
    timer.unref?.();
  });
  work.catch(() => undefined);
  return Promise.race([work, expired]).finally(() => {
    if (timer) clearTimeout(timer);
  });
}
