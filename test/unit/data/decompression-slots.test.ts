/** The process-wide bound on concurrent decompressions of produced batches (data/decompression-slots). */
import { describe, expect, it } from 'vitest';
import { DECOMPRESSION_SLOTS, decompressionSlotsState, withDecompressionSlot } from '../../../src/data/decompression-slots.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('withDecompressionSlot', () => {
  it(`runs at most ${DECOMPRESSION_SLOTS} at once, the rest in arrival order`, async () => {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const releases: Array<() => void> = [];
    const results = Array.from({ length: 10 }, (_, i) =>
      withDecompressionSlot(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await new Promise<void>((r) => releases.push(r));
        running--;
        return i;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    expect(decompressionSlotsState()).toMatchObject({ busy: 4, waiting: 6 });
    while (started.length < 10 || releases.length > 0) {
      releases.shift()?.();
      await tick();
    }
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(most).toBe(DECOMPRESSION_SLOTS);
    expect(decompressionSlotsState()).toMatchObject({ busy: 0, waiting: 0 });
  });

  it('frees the slot when the work fails, synchronously or not', async () => {
    const sync = withDecompressionSlot(() => {
      throw new Error('sync');
    });
    const async = withDecompressionSlot(async () => {
      throw new Error('async');
    });
    await expect(sync).rejects.toThrow('sync');
    await expect(async).rejects.toThrow('async');
    expect(decompressionSlotsState()).toMatchObject({ busy: 0, waiting: 0 });
    expect(await withDecompressionSlot(() => 7)).toBe(7);
  });
});
