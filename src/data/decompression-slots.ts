/**
 * Bounds how many produced compressed batches are decompressed at once, process-wide. Every
 * compressed batch is decompressed to walk its records (data/record-validation.ts), each up to
 * runnel.produce.max.decompressed.bytes; without a bound, one Produce request naming a thousand
 * partitions, or many pipelined requests, would hold a decompressed block per batch at the same
 * time (a few KiB of zstd or gzip can expand to that limit). Inside a slot a batch is
 * decompressed, walked, schema-checked and recompressed for its topic, so only its result
 * outlives the slot; four slots match libuv's default thread pool, which runs the large
 * decompressions anyway.
 */
export const DECOMPRESSION_SLOTS = 4;

let busy = 0;
let peak = 0;
const waiting: Array<() => void> = [];

/** Runs `work` when a slot is free; the slot is held until its result settles. */
export function withDecompressionSlot<T>(work: () => T | Promise<T>): Promise<T> {
  const start = (): Promise<T> => {
    busy++;
    if (busy > peak) peak = busy;
    let result: Promise<T>;
    try {
      result = Promise.resolve(work());
    } catch (e) {
      result = Promise.reject(e);
    }
    return result.finally(() => {
      busy--;
      waiting.shift()?.();
    });
  };
  if (busy < DECOMPRESSION_SLOTS) return start();
  return new Promise<void>((resolve) => waiting.push(resolve)).then(start);
}

/** Slots in use, batches waiting for one, and the most ever in use (tests, metrics). */
export function decompressionSlotsState(): { busy: number; waiting: number; peak: number } {
  return { busy, waiting: waiting.length, peak };
}
