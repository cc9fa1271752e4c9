/**
 * Time from process start to accepting connections, and RSS at idle, for `node dist/runnel.mjs`
 * (the `npm start` path) with a fresh data dir, and with 100 existing topics. A bare Node TCP
 * server is measured in the same run as this machine's floor.
 *
 *   npm run build && npx tsx bench/foundation/startup.ts
 */
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { mkdtempSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const WORK = join(ROOT, 'bench', '.work');
const RUNS = Number(process.env.RUNS ?? 10);

function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => r(p));
    });
  });
}

function tryConnect(port: number): Promise<boolean> {
  return new Promise((r) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      r(true);
    });
    c.once('error', () => r(false));
  });
}

async function timeToAccept(args: string[], port: number): Promise<{ ms: number; rssMb: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  while (!(await tryConnect(port))) await new Promise((r) => setTimeout(r, 1));
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 1500));
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { ms, rssMb: rssKb / 1024 };
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]!.toFixed(1)}, min ${s[0]!.toFixed(1)}, max ${s[s.length - 1]!.toFixed(1)}`;
}

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  const floor: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const port = await freePort();
    floor.push((await timeToAccept(['-e', `require('net').createServer().listen(${port}, '127.0.0.1')`], port)).ms);
  }
  const fresh: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = mkdtempSync(join(WORK, 'startup-'));
    const port = await freePort();
    const r = await timeToAccept([join(ROOT, 'dist/runnel.mjs'), `--listeners=PLAINTEXT://127.0.0.1:${port}`, `--log.dirs=${dir}`, '--logger.level=warn'], port);
    fresh.push(r.ms);
    rss.push(r.rssMb);
    rmSync(dir, { recursive: true, force: true });
  }
  // 100 topics x 3 partitions, created once, then restarted cleanly.
  const dir = mkdtempSync(join(WORK, 'startup-topics-'));
  const { startBroker } = await import('../../src/index.js');
  const b = await startBroker({ dataDir: dir, port: 0, logLevel: 'silent' });
  for (let i = 0; i < 100; i++) await b.broker.topics.create(`t${i}`, { partitions: 3, replicationFactor: 1, configs: [] });
  await b.stop();
  const withTopics: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const port = await freePort();
    withTopics.push((await timeToAccept([join(ROOT, 'dist/runnel.mjs'), `--listeners=PLAINTEXT://127.0.0.1:${port}`, `--log.dirs=${dir}`, '--logger.level=warn'], port)).ms);
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(`node ${process.version}, ${RUNS} runs each`);
  console.log(`bare node TCP server:             ${stats(floor)} ms`);
  console.log(`runnel, fresh data dir:           ${stats(fresh)} ms`);
  console.log(`runnel, 100 topics x 3 partitions: ${stats(withTopics)} ms`);
  console.log(`runnel RSS at idle:               ${stats(rss)} MB`);
}

await main();
