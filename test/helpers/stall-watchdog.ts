/**
 * Ends a test process whose event loop has not turned for `limitMs`, so that a wedged test fails
 * its file (vitest: "Worker exited unexpectedly") instead of holding the whole run. Seen once in a
 * fault scenario: kafkajs 2.2.4's consumer, stopped while its fetchers were being rebuilt after a
 * leader moved, kept one fetcher looping on `runner.fetch()`, which answers [] at once when the
 * runner is not running — a microtask loop (the tulios/kafkajs#1384 family) that starves every
 * timer in the process, vitest's test timeout included; the run waited 55 minutes.
 *
 * A loop like that cannot be interrupted from its own thread, so the watch runs in a worker
 * thread: the main thread bumps a shared counter every second; the worker, seeing it unchanged for
 * `limitMs`, writes why to stderr (fd 2 directly: a worker's process.stderr goes through the stuck
 * main thread) and SIGKILLs the process (a signal reaches the process however
 * busy its main thread is).
 */
import { Worker } from 'node:worker_threads';

let installed = false;

export function installStallWatchdog(limitMs = 120_000): void {
  if (installed) return;
  installed = true;
  const beat = new Int32Array(new SharedArrayBuffer(4));
  const timer = setInterval(() => Atomics.add(beat, 0, 1), 1000);
  timer.unref();
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const beat = workerData.beat;
     let last = Atomics.load(beat, 0), since = Date.now();
     setInterval(() => {
       const now = Atomics.load(beat, 0);
       if (now !== last) { last = now; since = Date.now(); return; }
       if (Date.now() - since < workerData.limitMs) return;
       require('node:fs').writeSync(2, 'stall watchdog: the test process event loop has not turned for ' + workerData.limitMs + ' ms (a client library in a microtask loop?); killing it\\n');
       process.kill(process.pid, 'SIGKILL');
     }, 1000);`,
    // execArgv: the test's own flags (an ESM loader, --input-type) must not turn this CommonJS into a module.
    { eval: true, execArgv: [], workerData: { beat, limitMs } },
  );
  worker.unref();
}
