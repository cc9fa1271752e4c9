/**
 * What TLS costs on the data path (issue 20): the raw produce and fetch rates of
 * raw-throughput.ts against one broker process with a PLAINTEXT and an SSL listener (PEM key store
 * made with openssl here; TLS 1.3, Node's default AES-GCM suite), alternating PLAINTEXT / SSL per
 * round on fresh topics so both see the same machine state. The client is the near-zero-cost raw
 * one; with TLS it also pays for decryption on its side (same machine: both costs show).
 *
 * A TLS fetch cannot use the plain path's straight copy of file bytes to the socket: the response
 * writer reads segment slices into pooled 1 MiB buffers (as it does for plaintext; see
 * response-writer.ts) and the TLS socket encrypts them, so memory stays bounded by the same read
 * window; the difference is the encryption CPU.
 *
 *   npm run build && npx tsx bench/data-path/tls-throughput.ts [--count 200000] [--size 1024] [--rounds 3]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMain } from '../is-main.js';
import { createTopic, startBenchBroker, type Rate } from './produce-consume.js';
import { rawConsumeRate, rawProduceRate } from './raw-throughput.js';

function certificates(): { dir: string; pem: string; ca: string } {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-tls-bench-'));
  const run = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=bench-ca']);
  run(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'b.key', '-out', 'b.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'b.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run(['x509', '-req', '-in', 'b.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'b.crt', '-days', '2', '-extfile', 'b.ext']);
  writeFileSync(join(dir, 'b.pem'), readFileSync(join(dir, 'b.key'), 'utf8') + readFileSync(join(dir, 'b.crt'), 'utf8'));
  return { dir, pem: join(dir, 'b.pem'), ca: join(dir, 'ca.crt') };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The broker process's CPU seconds so far (user + system, /proc; 100 ticks a second on Linux).
 * CPU per GB moved is steadier than MB/s on a shared machine: it does not count time spent
 * waiting for a core.
 */
function brokerCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (n: string, d: number): number => (args.includes(`--${n}`) ? Number(args[args.indexOf(`--${n}`) + 1]) : d);
  const count = opt('count', 200_000);
  const size = opt('size', 1024);
  const rounds = opt('rounds', 3);
  const certs = certificates();
  const broker = await startBenchBroker({ listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.pem });
  const port = (name: string): number => Number(broker.listeners.find((l) => l.startsWith(`${name}://`))!.split(':').pop());
  const tls = { ca: readFileSync(certs.ca) };
  const results: Record<'PLAINTEXT' | 'SSL', { produce: Rate[]; consume: Rate[]; produceCpuPerGB: number[]; fetchCpuPerGB: number[] }> = {
    PLAINTEXT: { produce: [], consume: [], produceCpuPerGB: [], fetchCpuPerGB: [] },
    SSL: { produce: [], consume: [], produceCpuPerGB: [], fetchCpuPerGB: [] },
  };
  const pid = broker.process.pid!;
  try {
    for (let i = 0; i < rounds; i++) {
      for (const name of ['PLAINTEXT', 'SSL'] as const) {
        const topic = `tls-bench-${name}-${i}`;
        await createTopic(broker.bootstrap, topic);
        const opts = name === 'SSL' ? tls : undefined;
        const gb = (count * size) / 1e9;
        const cpu0 = brokerCpuSeconds(pid);
        const p = await rawProduceRate('127.0.0.1', port(name), topic, count, size, 8, opts);
        const cpu1 = brokerCpuSeconds(pid);
        const c = await rawConsumeRate('127.0.0.1', port(name), topic, size, opts);
        const cpu2 = brokerCpuSeconds(pid);
        results[name].produce.push(p);
        results[name].consume.push(c);
        results[name].produceCpuPerGB.push((cpu1 - cpu0) / gb);
        results[name].fetchCpuPerGB.push((cpu2 - cpu1) / gb);
        console.log(`${name.padEnd(9)} round ${i + 1}: produce ${p.MBps.toFixed(0)} MB/s (broker ${((cpu1 - cpu0) / gb).toFixed(2)} CPU-s/GB), fetch ${c.MBps.toFixed(0)} MB/s (broker ${((cpu2 - cpu1) / gb).toFixed(2)} CPU-s/GB) (${count} x ${size} B)`);
      }
    }
    const row = (name: 'PLAINTEXT' | 'SSL') => ({
      produce: median(results[name].produce.map((r) => r.MBps)),
      fetch: median(results[name].consume.map((r) => r.MBps)),
      produceCpuPerGB: median(results[name].produceCpuPerGB),
      fetchCpuPerGB: median(results[name].fetchCpuPerGB),
    });
    const plain = row('PLAINTEXT');
    const ssl = row('SSL');
    const pct = (a: number, b: number): string => `${((a / b) * 100).toFixed(0)}%`;
    console.log(`median of ${rounds}: PLAINTEXT produce ${plain.produce.toFixed(0)} MB/s fetch ${plain.fetch.toFixed(0)} MB/s | SSL produce ${ssl.produce.toFixed(0)} MB/s (${pct(ssl.produce, plain.produce)}) fetch ${ssl.fetch.toFixed(0)} MB/s (${pct(ssl.fetch, plain.fetch)})`);
    console.log(`broker CPU-s per GB: PLAINTEXT produce ${plain.produceCpuPerGB.toFixed(2)} fetch ${plain.fetchCpuPerGB.toFixed(2)} | SSL produce ${ssl.produceCpuPerGB.toFixed(2)} fetch ${ssl.fetchCpuPerGB.toFixed(2)}`);
    if (args.includes('--json')) writeFileSync(args[args.indexOf('--json') + 1]!, JSON.stringify({ count, size, rounds, plain, ssl }, null, 2));
  } finally {
    await broker.stop();
    rmSync(certs.dir, { recursive: true, force: true });
  }
}
