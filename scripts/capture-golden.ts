/**
 * Captures golden frames from real Kafka clients talking to a real Apache Kafka broker.
 *
 *   npx tsx scripts/capture-golden.ts [--clients kafkajs,kcat,confluent-kafka-python,kafka-python,java]
 *                                     [--out test/golden]
 *
 * Starts the reference broker (scripts/reference-kafka.sh, in its own state dir) advertising a
 * capturing proxy (test/helpers/proxy.ts) in front of it, so that every connection of every client
 * goes through the proxy. Each client then runs a short scenario (admin, produce 3 small records,
 * consume them in a group, commit) and the frames seen during its scenario are kept: ONE example
 * per (client, api key, version, direction) — the largest one not over 64 KiB — as
 * <out>/<client>/<NN-api-name>-v<version>-<req|resp>.bin (the frame without its 4-byte size).
 * <out>/INDEX.json lists them; capturing some clients again replaces only those clients' files.
 * Requests the broker sends to itself through its advertised listener (client ids broker-N-... and
 * AddPartitionsManager-client-N: WriteTxnMarkers, and AddPartitionsToTxn v4+ to verify a
 * transaction, during the Java transaction) are filed under kafka-broker/.
 *
 * java-capped runs the Java scenario again with the broker's ApiVersions response cut down, on its
 * way to the client, to the APIs and versions declared in protocol/generated (API_CODECS) at
 * capture time, so the client negotiates the versions it would use against Runnel. The frames
 * saved are still the bytes the real client and the real broker exchanged (the ApiVersions
 * response saved is the broker's original).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { apiName, KafkaProxy, type CapturedFrame } from '../test/helpers/proxy.js';
import { ensureJavaBuilt, runJava } from '../test/helpers/java.js';
import { API_CODECS } from '../protocol/generated/index.js';

const REPO = resolve(import.meta.dirname, '..');
const MAX_FILE = 64 * 1024;
const PYTHON = '/usr/bin/python3';
const ALL_CLIENTS = ['kafkajs', 'kcat', 'confluent-kafka-python', 'kafka-python', 'java', 'java-capped'] as const;
type Client = (typeof ALL_CLIENTS)[number];
/**
 * The broker's own inter-broker requests (e.g. WriteTxnMarkers from its transaction coordinator)
 * also go to the advertised address, so through the proxy: they are filed under this name.
 */
const BROKER_CLIENT = 'kafka-broker';
const BROKER_CLIENT_ID = /^(broker-\d+-|AddPartitionsManager-client-)/;

interface GoldenEntry {
  client: string;
  clientVersion: string;
  apiKey: number;
  apiName: string;
  version: number;
  direction: 'request' | 'response';
  /** Relative to the INDEX.json's folder. */
  file: string;
  sha256: string;
  size: number;
}

interface GoldenIndex {
  /** The broker the frames were captured against. */
  broker: string;
  capturedAt: string;
  frames: GoldenEntry[];
}

const { values: opts } = parseArgs({
  options: {
    clients: { type: 'string', default: ALL_CLIENTS.join(',') },
    out: { type: 'string', default: join(REPO, 'test', 'golden') },
  },
});
const clients = opts.clients!.split(',').map((c) => c.trim()) as Client[];
for (const c of clients) if (!ALL_CLIENTS.includes(c)) throw new Error(`unknown client ${c}; known: ${ALL_CLIENTS.join(', ')}`);
const OUT = resolve(opts.out!);

function log(msg: string): void {
  process.stderr.write(`capture-golden: ${msg}\n`);
}

function run(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`${cmd} ${args.join(' ')} timed out\n${stderr}`));
    }, o.timeoutMs ?? 90_000);
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(o.input ?? '');
  });
}

async function mustRun(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await run(cmd, args, o);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

/** A port P with P and P+1 free (the broker's and its controller's listeners). */
async function freePortPair(): Promise<number> {
  const probe = (port: number): Promise<boolean> =>
    new Promise((res) => {
      const s = net.createServer();
      s.once('error', () => res(false));
      s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
    });
  for (let i = 0; i < 50; i++) {
    const p = 20000 + Math.floor(Math.random() * 20000);
    if ((await probe(p)) && (await probe(p + 1))) return p;
  }
  throw new Error('no free port pair');
}

// ---------------------------------------------------------------------------------------------
// Scenarios: each runs one client against `bootstrap` (the proxy) and returns its version string.

async function kafkajsScenario(bootstrap: string): Promise<string> {
  const version = JSON.parse(readFileSync(join(REPO, 'node_modules', 'kafkajs', 'package.json'), 'utf8')).version as string;
  const kafka = new Kafka({ clientId: 'golden-kafkajs', brokers: [bootstrap], logLevel: logLevel.ERROR, retry: { retries: 5 } });
  const topic = 'golden-kafkajs';
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }], waitForLeaders: true });
  await admin.fetchTopicMetadata({ topics: [topic] });
  await admin.describeConfigs({ resources: [{ type: 2, name: topic }], includeSynonyms: false });

  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [0, 1, 2].map((i) => ({ key: `k${i}`, value: `v${i}`, headers: { h: 'x' } })) });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: 'golden-kafkajs-group', heartbeatInterval: 500, maxWaitTimeInMs: 300 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let got = 0;
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error('kafkajs consumer got no records in 30 s')), 30_000);
    void consumer.run({
      autoCommit: true,
      eachMessage: async () => {
        if (++got === 3) {
          clearTimeout(timer);
          res();
        }
      },
    });
  });
  // Let a heartbeat go out and the offsets get committed before leaving.
  await new Promise((r) => setTimeout(r, 1500));
  await consumer.disconnect();

  await admin.fetchOffsets({ groupId: 'golden-kafkajs-group', topics: [topic] });
  await admin.fetchTopicOffsets(topic);
  await admin.listGroups();
  await admin.describeGroups(['golden-kafkajs-group']);
  await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  return version;
}

async function kcatScenario(bootstrap: string): Promise<string> {
  const v = (await run('kcat', ['-V'])).stdout;
  const version = `kcat ${/Version (\S+)/.exec(v)?.[1] ?? '?'} (librdkafka ${/librdkafka (\S+)/.exec(v)?.[1] ?? '?'})`;
  const topic = 'golden-kcat';
  await mustRun('kcat', ['-b', bootstrap, '-L']);
  await mustRun('kcat', ['-b', bootstrap, '-P', '-t', topic, '-K', ':', '-H', 'h=x'], { input: 'k0:v0\nk1:v1\nk2:v2\n' });
  await mustRun('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-c', '3', '-q']);
  await mustRun('kcat', ['-b', bootstrap, '-G', 'golden-kcat-group', '-X', 'auto.offset.reset=earliest', '-c', '3', '-q', topic], { timeoutMs: 60_000 });
  return version;
}

async function pythonScenario(script: string, bootstrap: string, topic: string): Promise<string> {
  const out = await mustRun(PYTHON, [join(REPO, 'scripts', 'golden', script), JSON.stringify({ bootstrap, topic, group: `${topic}-group` })]);
  const res = JSON.parse(out.trim().split('\n').pop()!) as { client: string; librdkafka?: string };
  return res.librdkafka ? `${res.client} (librdkafka ${res.librdkafka})` : res.client;
}

async function javaScenario(bootstrap: string, capped: boolean): Promise<string> {
  await ensureJavaBuilt();
  const pom = readFileSync(join(REPO, 'test', 'java', 'pom.xml'), 'utf8');
  let version = `kafka-clients ${/<kafka.version>([^<]+)</.exec(pom)?.[1] ?? '?'}`;
  if (capped) version += ' (ApiVersions capped to the ranges declared in protocol/generated)';
  const topic = capped ? 'golden-java-capped' : 'golden-java';
  const b = ['--bootstrap', bootstrap];
  const java = async (main: string, args: string[]): Promise<void> => {
    const r = await runJava(main, args, { timeoutMs: 90_000 });
    if (r.code !== 0) throw new Error(`${main} ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  };
  await java('Admin', ['create-topics', ...b, '--topic', `${topic},${topic}-tmp`, '--partitions', '2', '--config', 'retention.ms=3600000']);
  await java('Admin', ['describe-cluster', ...b]);
  await java('Admin', ['describe-topics', ...b, '--topic', topic]);
  await java('Admin', ['describe-configs', ...b, '--topic', topic]);
  await java('Admin', ['alter-configs', ...b, '--topic', topic, '--set', 'retention.ms=7200000']);
  await java('Produce', [...b, '--topic', topic, '--count', '3', '--key-pattern', 'k%d', '--value-pattern', 'v%d', '--headers', 'h=x', '--linger-ms', '5']);
  await java('Produce', [...b, '--topic', topic, '--count', '1', '--key-pattern', 'txn%d', '--transactional-id', `${topic}-txn`]);
  await java('Consume', [...b, '--topic', topic, '--group', `${topic}-group`, '--from-beginning', '--max', '4', '--commit', '--isolation', 'read_committed']);
  // The consumer group protocol (KIP-848) needs ConsumerGroupHeartbeat, which a capped list lacks.
  if (!capped) await java('Consume', [...b, '--topic', topic, '--group', `${topic}-group848`, '--group-protocol', 'consumer', '--from-beginning', '--max', '4', '--commit']);
  await java('Admin', ['list-groups', ...b]);
  await java('Admin', ['describe-groups', ...b, '--group', `${topic}-group`]);
  await java('Admin', ['list-group-offsets', ...b, '--group', `${topic}-group`]);
  await java('Admin', ['list-offsets', ...b, '--topic', topic, '--spec', 'latest']);
  await java('Admin', ['create-partitions', ...b, '--topic', `${topic}-tmp`, '--total', '3']);
  await java('Admin', ['delete-records', ...b, '--topic', topic, '--partition', '0', '--before', '0']);
  await java('Admin', ['delete-groups', ...b, '--group', `${topic}-group`]);
  await java('Admin', ['delete-topics', ...b, '--topic', `${topic}-tmp`]);
  return version;
}

async function runScenario(client: Client, bootstrap: string): Promise<string> {
  switch (client) {
    case 'kafkajs':
      return kafkajsScenario(bootstrap);
    case 'kcat':
      return kcatScenario(bootstrap);
    case 'confluent-kafka-python':
      return pythonScenario('confluent_scenario.py', bootstrap, 'golden-ck');
    case 'kafka-python':
      return pythonScenario('kafka_python_scenario.py', bootstrap, 'golden-kp');
    case 'java':
      return javaScenario(bootstrap, false);
    case 'java-capped':
      return javaScenario(bootstrap, true);
  }
}

/**
 * An ApiVersions response (header v0) with its api_keys list cut down to `ranges`: keys not in it
 * are removed, the others narrowed to the intersection. The throttle time is kept; the tagged
 * fields (supported and finalized features) are dropped, as a broker without features sends them:
 * a finalized transaction.version=2 would otherwise make the Java producer skip
 * AddPartitionsToTxn and rely on Produce v12+, which the cap removes. Error responses pass unchanged.
 */
function capApiVersions(frame: Buffer, version: number, ranges: ReadonlyMap<number, { minVersion: number; maxVersion: number }>): Buffer {
  let pos = 4; // correlation id
  if (frame.readInt16BE(pos) !== 0) return frame;
  pos += 2;
  const flexible = version >= 3;
  const uvarint = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = frame[pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  };
  const putUvarint = (out: number[], v: number): void => {
    while (v >= 0x80) {
      out.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
  };
  let count: number;
  if (flexible) count = uvarint() - 1;
  else {
    count = frame.readInt32BE(pos);
    pos += 4;
  }
  const kept: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const start = pos;
    const key = frame.readInt16BE(pos);
    const min = frame.readInt16BE(pos + 2);
    const max = frame.readInt16BE(pos + 4);
    pos += 6;
    if (flexible) {
      const tags = uvarint();
      for (let t = 0; t < tags; t++) {
        uvarint();
        pos += uvarint();
      }
    }
    const r = ranges.get(key);
    if (r === undefined) continue;
    const lo = Math.max(min, r.minVersion);
    const hi = Math.min(max, r.maxVersion);
    if (lo > hi) continue;
    const entry = Buffer.from(frame.subarray(start, pos));
    entry.writeInt16BE(lo, 2);
    entry.writeInt16BE(hi, 4);
    kept.push(entry);
  }
  const head: number[] = [];
  if (flexible) putUvarint(head, kept.length + 1);
  else head.push((kept.length >>> 24) & 0xff, (kept.length >>> 16) & 0xff, (kept.length >>> 8) & 0xff, kept.length & 0xff);
  const tail = version >= 1 ? frame.subarray(pos, pos + 4) : Buffer.alloc(0); // throttle_time_ms
  return Buffer.concat([frame.subarray(0, 6), Buffer.from(head), ...kept, tail, Buffer.from(flexible ? [0] : [])]);
}

// ---------------------------------------------------------------------------------------------

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

function goldenFileName(apiKey: number, version: number, direction: 'request' | 'response'): string {
  return `${String(apiKey).padStart(2, '0')}-${kebab(apiName(apiKey))}-v${version}-${direction === 'request' ? 'req' : 'resp'}.bin`;
}

/** One frame per (api key, version, direction): the largest not over MAX_FILE bytes. */
function select(frames: CapturedFrame[]): CapturedFrame[] {
  const best = new Map<string, CapturedFrame>();
  for (const f of frames) {
    if (f.apiKey < 0 || f.payload.length > MAX_FILE) continue;
    const k = `${f.apiKey}/${f.apiVersion}/${f.direction}`;
    const cur = best.get(k);
    if (cur === undefined || f.payload.length > cur.payload.length) best.set(k, f);
  }
  return [...best.values()].sort((a, b) => a.apiKey - b.apiKey || a.apiVersion - b.apiVersion || a.direction.localeCompare(b.direction));
}

/**
 * Writes the chosen frames of one client and replaces its INDEX entries. With merge, frames are
 * added to what this run already saved for it (the broker's frames come from several scenarios).
 */
function saveFrames(index: GoldenIndex, client: string, clientVersion: string, chosen: CapturedFrame[], merge = false): void {
  const dir = join(OUT, client);
  if (!merge || !savedThisRun.has(client)) {
    rmSync(dir, { recursive: true, force: true });
    index.frames = index.frames.filter((e) => e.client !== client);
    savedThisRun.add(client);
  }
  mkdirSync(dir, { recursive: true });
  for (const f of chosen) {
    const file = goldenFileName(f.apiKey, f.apiVersion, f.direction);
    if (index.frames.some((e) => e.client === client && e.file === `${client}/${file}`)) continue;
    writeFileSync(join(dir, file), f.payload);
    index.frames.push({
      client,
      clientVersion,
      apiKey: f.apiKey,
      apiName: apiName(f.apiKey),
      version: f.apiVersion,
      direction: f.direction,
      file: `${client}/${file}`,
      sha256: createHash('sha256').update(f.payload).digest('hex'),
      size: f.payload.length,
    });
  }
}

const savedThisRun = new Set<string>();

async function main(): Promise<void> {
  const proxy = new KafkaProxy();
  await proxy.start();
  const port = await freePortPair();
  const home = mkdtempSync(join(tmpdir(), 'runnel-golden-kafka-'));
  const env = { REF_KAFKA_HOME: home, REF_KAFKA_ADVERTISED: proxy.bootstrap };
  const script = join(REPO, 'scripts', 'reference-kafka.sh');
  const index: GoldenIndex = existsSync(join(OUT, 'INDEX.json'))
    ? (JSON.parse(readFileSync(join(OUT, 'INDEX.json'), 'utf8')) as GoldenIndex)
    : { broker: '', capturedAt: '', frames: [] };
  const failures: string[] = [];
  let broker: string | undefined;
  try {
    log(`starting the reference Kafka on 127.0.0.1:${port}, advertised through the proxy at ${proxy.bootstrap}`);
    const started = await run('bash', [script, 'start', String(port)], { env, timeoutMs: 180_000 });
    if (started.code !== 0) throw new Error(`reference Kafka did not start:\n${started.stderr}`);
    broker = /Apache Kafka (\S+)/.exec(started.stderr)?.[1];
    proxy.setUpstream('127.0.0.1', port);

    for (const client of clients) {
      proxy.clear();
      log(`${client}: running its scenario`);
      let clientVersion: string;
      proxy.transformResponse =
        client === 'java-capped' ? (frame, info) => (info.apiKey === 18 ? capApiVersions(frame, info.apiVersion, API_CODECS) : frame) : undefined;
      try {
        clientVersion = await runScenario(client, proxy.bootstrap);
      } catch (e) {
        failures.push(`${client}: ${(e as Error).message}`);
        log(`${client}: FAILED: ${(e as Error).message}`);
        continue;
      }
      // Responses may still be in flight for a moment after a client returns.
      await new Promise((r) => setTimeout(r, 300));
      const fromBroker = (f: CapturedFrame): boolean => f.clientId !== null && BROKER_CLIENT_ID.test(f.clientId);
      saveFrames(index, client, clientVersion, select(proxy.frames.filter((f) => !fromBroker(f))));
      const brokerFrames = proxy.frames.filter(fromBroker);
      if (brokerFrames.length > 0) saveFrames(index, BROKER_CLIENT, `Apache Kafka ${broker ?? '?'}`, select(brokerFrames), true);
      const skipped = proxy.frames.filter((f) => f.payload.length > MAX_FILE).length;
      log(`${client} ${clientVersion}: ${proxy.frames.length} frames seen, ${select(proxy.frames.filter((f) => !fromBroker(f))).length} kept${brokerFrames.length ? ` (${brokerFrames.length} from the broker itself)` : ''}${skipped ? `, ${skipped} over 64 KiB ignored` : ''}`);
    }
  } finally {
    spawnSync('bash', [script, 'stop'], { env: { ...process.env, ...env }, stdio: 'inherit' });
    rmSync(home, { recursive: true, force: true });
    await proxy.stop();
  }
  const order = (c: string): number => (c === BROKER_CLIENT ? ALL_CLIENTS.length : ALL_CLIENTS.indexOf(c as Client));
  index.frames.sort((a, b) => order(a.client) - order(b.client) || a.apiKey - b.apiKey || a.version - b.version || a.direction.localeCompare(b.direction));
  index.broker = `Apache Kafka ${broker ?? '?'} (KRaft, single node)`;
  index.capturedAt = new Date().toISOString().slice(0, 10);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'INDEX.json'), JSON.stringify(index, null, 1) + '\n');
  log(`wrote ${index.frames.length} frames to ${OUT}`);
  if (failures.length > 0) {
    log(`failed clients:\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  }
}

await main();
