/**
 * W6 startup: process start to accepting connections (a TCP connect succeeds) and to answering
 * (an ApiVersions request gets its response), then RSS once idle (settled: two readings 0.5 s
 * apart within 0.5 MB, at least 2 s after start).
 *
 * - Runnel: `node dist/runnel.mjs start` with its defaults on a fresh data dir (5 runs; quick 3);
 * - bare Node: a TCP server that answers any request, this machine's floor for a Node process;
 * - Apache Kafka: the JVM command line of scripts/apache-kafka.sh on a freshly formatted KRaft
 *   storage dir (the format step is not counted; 2 runs, quick 1), Kafka's start-script heap;
 * - the mock: rdbench hosting librdkafka's mock cluster.
 */
import { join } from 'node:path';
import { mkdirSync, rmSync } from 'node:fs';
import { WORK, freePort, rssMb, spawnTracked } from './lib/common.js';
import { settledRss, startKafka, startMock, startRunnel, waitReady, type KafkaBroker } from './lib/brokers.js';
import { attempt, type Ctx } from './lib/context.js';
import { isMain } from '../is-main.js';

const CASE = 'fresh data dir, idle';

export async function runW6(ctx: Ctx, kafka: KafkaBroker | null): Promise<void> {
  const runs = ctx.quick ? 3 : 5;
  const add = (broker: 'runnel' | 'node' | 'kafka' | 'mock', metric: string, value: number, rep: number): void =>
    ctx.results.add({ workload: 'W6', case: CASE, metric, better: 'lower', broker, client: '–', value, rep });
  for (let rep = 0; rep < runs; rep++) {
    await attempt(ctx, 'W6 node floor', async () => {
      const port = await freePort();
      const t0 = performance.now();
      const child = spawnTracked(process.execPath, ['-e', `require('net').createServer((c)=>c.once('data',()=>c.end(Buffer.alloc(16)))).listen(${port},'127.0.0.1')`], { stdio: 'ignore' });
      const t = await waitReady(port, t0, 30_000, () => child.exitCode === null);
      add('node', 'start → accept ms', t.acceptMs, rep);
      add('node', 'start → first answer ms', t.readyMs, rep);
      if (rep === 0) add('node', 'idle RSS MB', await settledRss(() => rssMb(child.pid!)), rep);
      child.kill('SIGKILL');
    });
    if (ctx.brokers.includes('runnel') || ctx.brokers.includes('runnel-nofsync')) {
      await attempt(ctx, 'W6 runnel', async () => {
        const dataDir = join(WORK, `w6-runnel-${process.pid}-${rep}`);
        mkdirSync(dataDir, { recursive: true });
        const b = await startRunnel({ defaults: true, dataDir, port: await freePort() });
        add('runnel', 'start → accept ms', b.lastStart.acceptMs, rep);
        add('runnel', 'start → first answer ms', b.lastStart.readyMs, rep);
        add('runnel', 'idle RSS MB', await settledRss(() => b.rssMb()), rep);
        await b.stop();
        rmSync(dataDir, { recursive: true, force: true });
        ctx.log(`  W6 runnel: accept ${b.lastStart.acceptMs.toFixed(0)} ms, answer ${b.lastStart.readyMs.toFixed(0)} ms`);
      });
    }
  }
  if (ctx.brokers.includes('mock')) {
    await attempt(ctx, 'W6 mock', async () => {
      const t0 = performance.now();
      const m = await startMock();
      const port = Number(m.bootstrap.split(':')[1]);
      const t = await waitReady(port, t0, 30_000, () => true);
      add('mock', 'start → accept ms', t.acceptMs, 0);
      add('mock', 'start → first answer ms', t.readyMs, 0);
      add('mock', 'idle RSS MB', await settledRss(() => m.rssMb()), 0);
      await m.stop();
    });
  }
  if (kafka) {
    for (let rep = 0; rep < (ctx.quick ? 1 : 2); rep++) {
      await attempt(ctx, 'W6 kafka', async () => {
        const t = await kafka.restart!();
        add('kafka', 'start → accept ms', t.acceptMs, rep);
        add('kafka', 'start → first answer ms', t.readyMs, rep);
        add('kafka', 'idle RSS MB', await settledRss(() => kafka.rssMb(), 5000, 15_000), rep);
        ctx.log(`  W6 kafka: accept ${t.acceptMs.toFixed(0)} ms, answer ${t.readyMs.toFixed(0)} ms`);
      });
    }
    ctx.results.note(`W6 Kafka: the script's whole start (storage format, JVM start, wait for "Kafka Server started") took ${kafka.scriptStartSecs.toFixed(1)} s; the table counts only the broker JVM's own start on formatted storage.`);
  }
}

export { startKafka };

// Not awaited: suite.js imports this module, and awaiting it here would leave the cycle unsettled.
if (isMain(import.meta.url)) void import('./suite.js').then(({ runSuite }) => runSuite(['--only', 'w6', ...process.argv.slice(2)]));
