/**
 * test/helpers/kafkajs-stop-fix.ts: a kafkajs consumer stopped while its fetchers are being
 * rebuilt (the nodes leading its partitions changed) spins in a microtask loop without the fix,
 * and stops cleanly with it. Driven through kafkajs's own fetch manager and Runner.fetch, in a
 * child process (a spinning process cannot end its own test).
 */
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/broker.js';

function scenario(fixed: boolean): string {
  return `
import { createRequire } from 'node:module';
${fixed ? "import './test/helpers/kafkajs-stop-fix.ts';" : ''}
const require = createRequire(process.cwd() + '/package.json');
const createFetchManager = require('kafkajs/src/consumer/fetchManager.js');
const Runner = require('kafkajs/src/consumer/runner.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const logger = { namespace: () => logger, debug() {}, info() {}, warn() {}, error() {} };
let nodeIds = [1, 2];
const runner = {
  running: true, logger, instrumentationEmitter: { emit() {} }, heartbeat: async () => {},
  // Node 2's fetch is slow, so the rebuild waits for it: the window the stop falls into.
  consumerGroup: { groupId: 'g', memberId: 'm', fetch: async (n) => { await sleep(n === 2 ? 300 : 10); return []; } },
};
const fm = createFetchManager({ logger, getNodeIds: () => nodeIds, fetch: (n) => Runner.prototype.fetch.call(runner, n), handler: async () => {} });
fm.start().catch((e) => console.log('fetch manager ended: ' + e.name));
setTimeout(() => { nodeIds = [1, 3]; }, 50);  // a leader moved: the fetchers are rebuilt
setTimeout(async () => {
  runner.running = false;  // what consumer.stop() does, then it stops the fetch manager
  await fm.stop();
  console.log('stopped');
  setTimeout(() => { console.log('the event loop turns'); process.exit(0); }, 500);
}, 100);
`;
}

function run(fixed: boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', scenario(fixed)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout });
    }),
  );
}

it('without the fix, kafkajs 2.2.4 spins after such a stop (the bug is still there)', async () => {
  const r = await run(false);
  expect(r.stdout).toContain('stopped');
  expect(r.stdout).not.toContain('the event loop turns');
  expect(r.signal).toBe('SIGKILL');
}, 20_000);

it('with the fix, the new fetchers end and the event loop turns', async () => {
  const r = await run(true);
  expect(r.stdout).toContain('fetch manager ended: KafkajsConsumerStopped');
  expect(r.stdout).toContain('the event loop turns');
  expect(r.code).toBe(0);
}, 20_000);
