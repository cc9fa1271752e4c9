/** A broker child process's resident memory, read from /proc, for the memory-bound tests. */
import { readFileSync } from 'node:fs';
import type { ChildBroker } from './broker.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function rssMiB(b: ChildBroker): number {
  const status = readFileSync(`/proc/${b.process.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** Waits until the broker's RSS has not grown (by over 1 MiB) for `quietMs`: the work the test caused is done. */
export async function settledRss(b: ChildBroker, quietMs = 600, maxMs = 8000): Promise<number> {
  const deadline = Date.now() + maxMs;
  let last = rssMiB(b);
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    await sleep(100);
    const now = rssMiB(b);
    if (now > last + 1) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= quietMs) return now;
  }
  return rssMiB(b);
}
