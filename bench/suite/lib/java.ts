/**
 * Apache Kafka's own Java client as a benchmark client: the perf tools that ship with Kafka
 * (org.apache.kafka.tools.ProducerPerformance and ConsumerPerformance, the classes behind
 * kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh), run with the Java harness's
 * classpath (test/java/target/classpath.txt, written by `mvn package` in test/java, which
 * test/helpers/java.ts runs on first use and CI runs in its setup). Without it the Java client is
 * left out. The JVM runs with full JIT (not the harness's fast-start C1-only flags): throughput
 * is what is measured.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, commandExists, run } from './common.js';

const CLASSPATH_FILE = join(REPO_ROOT, 'test', 'java', 'target', 'classpath.txt');
const JVM = ['-Xmx512m', '-XX:+UseG1GC', '-Djava.awt.headless=true', '-Dlog4j2.level=warn', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn'];

let cached: string | null | undefined;

/** The perf tools' classpath, or null (no Java, harness not built). */
export function javaToolsClasspath(): string | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (!commandExists('java') || !existsSync(CLASSPATH_FILE)) return null;
  const cp = readFileSync(CLASSPATH_FILE, 'utf8').trim();
  const jars = cp.split(':');
  if (!jars.some((j) => j.includes('kafka-tools-')) || !jars.every((j) => j === '' || existsSync(j))) return null;
  cached = cp;
  return cp;
}

export interface JavaRate {
  MBps: number;
  msgPerSec: number;
  raw: string;
}

/** kafka-producer-perf-test: `count` records of `size` bytes as fast as possible. */
export async function javaProducerPerf(bootstrap: string, topic: string, count: number, size: number, acks: number): Promise<JavaRate> {
  const cp = javaToolsClasspath();
  if (!cp) throw new Error('Java harness not built');
  const props = [`bootstrap.servers=${bootstrap}`, `acks=${acks}`, 'linger.ms=10', 'batch.size=524288', 'buffer.memory=268435456', 'enable.idempotence=false'];
  const r = await run('java', [...JVM, '-cp', cp, 'org.apache.kafka.tools.ProducerPerformance', '--topic', topic, '--num-records', String(count), '--record-size', String(size), '--throughput', '-1', '--producer-props', ...props], { timeoutMs: 300_000 });
  // "200000 records sent, 45000.1 records/sec (43.95 MB/sec), 12.3 ms avg latency, ..."
  const m = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`ProducerPerformance failed (${r.code}):\n${r.stderr.slice(-1500)}\n${r.stdout.slice(-500)}`);
  const msgPerSec = Number(m[2]);
  return { msgPerSec, MBps: (msgPerSec * size) / 1e6, raw: m[0] };
}

/**
 * kafka-consumer-perf-test: a consumer group reads `count` records from the beginning. The rate is
 * its fetch rate (fetch.MB.sec: excluding the group join), in MB of payload.
 */
export async function javaConsumerPerf(bootstrap: string, topic: string, count: number, size: number): Promise<JavaRate> {
  const cp = javaToolsClasspath();
  if (!cp) throw new Error('Java harness not built');
  const r = await run('java', [...JVM, '-cp', cp, 'org.apache.kafka.tools.ConsumerPerformance', '--bootstrap-server', bootstrap, '--topic', topic, '--num-records', String(count), '--timeout', '60000', '--hide-header'], { timeoutMs: 300_000 });
  // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const line = r.stdout.trim().split('\n').filter((l) => l.split(',').length >= 10).pop();
  if (r.code !== 0 || !line) throw new Error(`ConsumerPerformance failed (${r.code}):\n${r.stderr.slice(-1500)}\n${r.stdout.slice(-500)}`);
  const f = line.split(',').map((x) => x.trim());
  const consumed = Number(f[4]);
  if (consumed < count) throw new Error(`ConsumerPerformance read ${consumed} of ${count}`);
  const msgPerSec = Number(f[9]);
  return { msgPerSec, MBps: (msgPerSec * size) / 1e6, raw: line };
}
