/**
 * The stall watchdog (test/helpers/stall-watchdog.ts) ends a process stuck in a microtask loop —
 * which no timer in that process, vitest's test timeout included, can interrupt — and leaves a
 * process that keeps turning alone.
 */
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/broker.js';

function run(body: string): Promise<{ signal: NodeJS.Signals | null; code: number | null; stderr: string; ms: number }> {
  const script = `import { installStallWatchdog } from './test/helpers/stall-watchdog.ts';\ninstallStallWatchdog(1500);\n${body}`;
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr, ms: Date.now() - t0 })));
}

it('kills a process spinning in a microtask loop', async () => {
  const r = await run('const spin = async () => { for (;;) await Promise.resolve(); }; await spin();');
  expect(r.signal).toBe('SIGKILL');
  expect(r.stderr).toMatch(/stall watchdog: the test process event loop has not turned for 1500 ms/);
  expect(r.ms).toBeLessThan(15_000);
}, 30_000);

it('leaves a process whose event loop turns (it exits by itself)', async () => {
  const r = await run('await new Promise((res) => setTimeout(res, 3500));');
  expect(r.signal).toBeNull();
  expect(r.code).toBe(0);
}, 30_000);
