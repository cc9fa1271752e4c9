/**
 * A process's CPU time from the kernel's scheduler statistics, in ns resolution: what the A/B
 * benches (ab.ts, restart-ab.ts) compare between two builds.
 */
import { readFileSync, readdirSync } from 'node:fs';

/**
 * A process's CPU time with nanosecond resolution from /proc/<pid>/task/<tid>/schedstat (on-CPU
 * ns, run-queue wait ns): /proc/<pid>/stat counts in 10 ms ticks, too coarse for a ~150 ms start.
 * Threads that already exited are not counted (a starting broker keeps its threads). `waitMs` is
 * the time its threads were runnable but waiting for a CPU: the machine's load, made visible.
 */
export function schedCpu(pid: number): { cpuMs: number; mainMs: number; waitMs: number } {
  let cpu = 0;
  let wait = 0;
  let main = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [on, queued] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number) as [number, number];
      cpu += on;
      wait += queued;
      if (Number(tid) === pid) main = on;
    } catch {
      // the thread exited meanwhile
    }
  }
  return { cpuMs: cpu / 1e6, mainMs: main / 1e6, waitMs: wait / 1e6 };
}
