/**
 * The bounds every hostile attack is held to, the flags every hostile broker gets, and the small
 * helpers the harness and the cases share (MiB rounding, sleep, a promise with a deadline).
 */

export const MiB = 1024 * 1024;

/** Bounds every attack is held to; env overrides exist for slow machines, not to hide bugs. */
export const LIMITS = {
  /** Worst ApiVersions latency on the canary connection while an attack runs. */
  canaryMs: Number(process.env.RUNNEL_HOSTILE_CANARY_MS ?? 100),
  /**
   * Peak broker RSS while an attack runs. The idle broker sits near 60-100 MiB; the largest
   * designed allowance one attack can reach is the decompression of four produced batches at
   * once (4 × runnel.produce.max.decompressed.bytes = 256 MiB): ~360 MiB measured.
   */
  rssBytes: Number(process.env.RUNNEL_HOSTILE_RSS_MIB ?? 400) * MiB,
  /** How long acknowledged records may take to reach the consumer after an attack. */
  pairSettleMs: 15_000,
  /** A shared broker above this RSS after a case is replaced before the next one. */
  bloatedBytes: 200 * MiB,
};

/** Flags every hostile broker gets: a consumer group forms at once, and logs stay readable. */
export const BASE_FLAGS: Record<string, string | number | boolean> = {
  'group.initial.rebalance.delay.ms': 0,
};

export function mib(bytes: number): number {
  return Math.round(bytes / MiB);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer!: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
