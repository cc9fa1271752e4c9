/**
 * Faust agent throughput on Runnel vs Apache Kafka, in the same run: records/s through one Faust
 * agent into a changelog-backed table (bench/faust/bench_agent.py), at-least-once and exactly-once.
 * Opt-in (not part of run-all): needs test/.venv with faust-streaming (test/compat/clients/setup.sh),
 * `npm run build` (Runnel runs as its own process, dist/runnel.mjs) and Maven's Apache Kafka jars
 * (scripts/apache-kafka.sh prefetch).
 *
 *   npx tsx bench/faust/agent-throughput.ts [--records 20000] [--eos-records 5000] [--rounds 2] [--append]
 *
 * Per broker, guarantee and round: a fresh 4-partition topic is filled with the orders first
 * (kafkajs, acks=all), then a worker starts and drains it; the rate is the orders from the tenth
 * one to the last over that time (Faust's start-up, the first fetches and first transactions excluded).
 * Brokers alternate within each round, so both see the same machine load. --append adds the
 * table to bench/RESULTS.md with the machine's load average. Every wait is bounded.
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnBroker, REPO_ROOT, type ChildBroker } from '../../test/helpers/broker.js';
import { VENV_PYTHON } from '../../test/compat/clients/scenario.js';
import { kafkajs } from '../data-path/clients.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '20000' },
    'eos-records': { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '2' },
    append: { type: 'boolean', default: false },
  },
});
const WORK = join(REPO_ROOT, 'bench', '.work', 'faust');
const HERE = join(REPO_ROOT, 'bench', 'faust');
const APACHE = join(REPO_ROOT, 'scripts', 'apache-kafka.sh');
const APACHE_HOME = join(WORK, 'apache-kafka');

interface Target {
  name: string;
  bootstrap: string;
}

async function produce(bootstrap: string, topic: string, n: number): Promise<void> {
  const kafka = kafkajs(bootstrap, 'faust-bench');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < n; i += 1000) {
    const messages = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) messages.push({ key: `k${j % 64}`, value: JSON.stringify({ sales_id: j, sales_amt: (j % 23) + 0.25 }) });
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
}

class AgentCrashed extends Error {}

/**
 * Faust's agent can crash on its first order when the changelog topic it just created is not in
 * the broker's metadata yet (PartitionsMismatch: "... has 0 partitions"; seen with Apache Kafka in
 * exactly-once mode); one more attempt on a fresh topic finds the metadata settled.
 */
async function drainRetrying(t: Target, guarantee: string, n: number, tag: string): Promise<number> {
  try {
    return await drain(t, guarantee, n, tag);
  } catch (e) {
    if (!(e instanceof AgentCrashed)) throw e;
    console.log(`${e.message}; retrying once`);
    return drain(t, guarantee, n, `${tag}-retry`);
  }
}

/** Runs one worker over `n` pre-produced orders; records/s from its tenth order to its last. */
async function drain(t: Target, guarantee: string, n: number, tag: string): Promise<number> {
  const topic = `bench-${tag}`;
  await produce(t.bootstrap, topic, n);
  const dir = join(WORK, tag);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const snapshot = join(dir, 'snapshot.json');
  const child = spawn(VENV_PYTHON, ['-m', 'faust', '-A', 'bench_agent', 'worker', '--without-web', '-l', 'warn'], {
    cwd: HERE,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PYTHONPATH: HERE, BROKER: `kafka://${t.bootstrap}`, TOPIC: topic, APP_ID: `app-${tag}`, DATADIR: join(dir, 'data'), SNAPSHOT: snapshot, GUARANTEE: guarantee, RECORDS: String(n) },
  });
  let stderr = '';
  const log = createWriteStream(join(dir, 'worker.log'));
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    log.write(d);
  });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    const deadline = Date.now() + 600_000;
    for (;;) {
      const s = existsSync(snapshot) ? (JSON.parse(readFileSync(snapshot, 'utf8')) as { processed: number; warm: number; last: number; counts: number }) : null;
      if (s && s.processed >= n && s.counts >= n) return (s.processed - Math.max(1, Math.floor(n / 10))) / (s.last - s.warm);
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker exited ${child.exitCode ?? child.signalCode}: ${stderr}`);
      // A crashed agent leaves the worker running idle: give up on this attempt.
      if (stderr.includes('Crashed reason=')) throw new AgentCrashed(`${tag}: ${/Crashed reason=.*/.exec(stderr)![0]}`);
      if (Date.now() > deadline) throw new Error(`${tag}: ${s?.processed ?? 0} of ${n} in 10 min: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
    log.end();
  }
}

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  const load0 = loadavg();
  const runnelDir = join(WORK, 'runnel-data');
  rmSync(runnelDir, { recursive: true, force: true });
  let runnel: ChildBroker | null = null;
  let apacheStarted = false;
  try {
    runnel = await spawnBroker(runnelDir, { 'runnel.schema.registry.listener': 'none' });
    const apacheBootstrap = execFileSync('bash', [APACHE, 'start', '0'], {
      env: { ...process.env, APACHE_KAFKA_HOME: APACHE_HOME, APACHE_KAFKA_OWNER_PID: String(process.pid), APACHE_KAFKA_NAME: 'faust-bench-kafka' },
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 300_000,
    })
      .toString()
      .trim();
    apacheStarted = true;
    const targets: Target[] = [
      { name: 'Runnel', bootstrap: runnel.bootstrap },
      { name: 'Apache Kafka', bootstrap: apacheBootstrap },
    ];
    const cases = [
      { guarantee: 'at_least_once', n: Number(args.records) },
      { guarantee: 'exactly_once', n: Number(args['eos-records']) },
    ];
    const rates = new Map<string, number[]>();
    for (let round = 0; round < Number(args.rounds); round++) {
      for (const c of cases) {
        for (const t of round % 2 === 0 ? targets : [...targets].reverse()) {
          const tag = `${t.name === 'Runnel' ? 'runnel' : 'kafka'}-${c.guarantee}-${round}`;
          const rate = await drainRetrying(t, c.guarantee, c.n, tag);
          console.log(`${t.name.padEnd(13)} ${c.guarantee.padEnd(14)} round ${round}: ${Math.round(rate)} records/s`);
          const key = `${t.name}|${c.guarantee}`;
          rates.set(key, [...(rates.get(key) ?? []), rate]);
        }
      }
    }
    const load1 = loadavg();
    const fmt = (xs: number[]) => `${Math.round(Math.max(...xs))} [${xs.map((x) => Math.round(x)).join(', ')}]`;
    const rows = cases.map((c) => {
      const r = rates.get(`Runnel|${c.guarantee}`)!;
      const k = rates.get(`Apache Kafka|${c.guarantee}`)!;
      return `| ${c.guarantee} | ${c.n} | ${fmt(r)} | ${fmt(k)} | ${Math.round((100 * Math.max(...r)) / Math.max(...k))}% |`;
    });
    const table = [
      '| guarantee | orders | Runnel records/s, best [rounds] | Apache Kafka records/s, best [rounds] | Runnel / Kafka |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n');
    console.log(table);
    if (args.append) {
      const faustVersion = execFileSync(VENV_PYTHON, ['-c', 'import faust; print(faust.__version__)']).toString().trim();
      const kafkaVersion = execFileSync('bash', [APACHE, 'prefetch']).toString().trim().split('\n').pop();
      const wrap = (text: string) => text.replace(/(.{1,100})(?: |$)/g, '$1\n').trimEnd();
      appendFileSync(
        join(REPO_ROOT, 'bench', 'RESULTS.md'),
        `\n## Faust agent throughput, Runnel vs Apache Kafka\n\n` +
          wrap(`\`npx tsx bench/faust/agent-throughput.ts --append\` (after \`npm run build\`) — ${new Date().toISOString().slice(0, 10)}, ` +
          `Node ${process.version}, ${cpus().length} cores, faust-streaming ${faustVersion} (aiokafka driver), Apache Kafka ${kafkaVersion} (KRaft, one node, ` +
          `scripts/apache-kafka.sh). One Faust worker, one agent folding JSON orders (64 keys, 4 partitions, pre-produced) into two ` +
          `memory-store tables with changelogs; records/s from the tenth of the orders to the last; brokers alternate in each ` +
          `round. Load average ${load0.map((x) => x.toFixed(1)).join('/')} at the start, ${load1.map((x) => x.toFixed(1)).join('/')} at the end ` +
          `(other engineers' test runs share the machine).`) +
          `\n\n${table}\n`,
      );
    }
  } finally {
    if (apacheStarted) execFileSync('bash', [APACHE, 'stop'], { env: { ...process.env, APACHE_KAFKA_HOME: APACHE_HOME, APACHE_KAFKA_NAME: 'faust-bench-kafka' }, stdio: 'inherit' });
    await runnel?.kill();
    rmSync(runnelDir, { recursive: true, force: true });
  }
}

await main();
