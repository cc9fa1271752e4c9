/**
 * Issue 15 item 6: a crash test per state file, part 1 — the crash points of one atomic write,
 * built on disk by hand, for every state file at once, and torn target files. (Part 2,
 * state-files-kill.test.ts, kills live brokers at random; part 3, state-files-crash-images.test.ts,
 * copies the data dir at every step of a real write.)
 *
 * A child broker (`node dist/runnel.mjs`; build first) makes a baseline data dir holding every
 * state file, with content that shows in answers (state-files.ts makeBaseline). Each case copies
 * the baseline, puts one crash's leftovers into it and starts a broker on it:
 * - killed between the temp write and the rename: `<name>.tmp` beside the old file, empty or with
 *   half of the new content;
 * - killed after the rename, before the directory fsync, and the machine lost power: the old file
 *   and a whole `<name>.tmp` with the new content;
 * → the broker starts and every answer is the old state exactly; leftover temp files in partition
 *   directories are removed, the others are overwritten by the next write.
 * - a torn target file (a write that was not atomic, a bad disk): Kafka's behaviour is the model.
 *   Checkpoints, leader-epoch-checkpoint, producer snapshots and transactional-partitions.json are
 *   rebuilt from the log or re-derived; meta.properties, runnel-metadata.json and producer-id-block
 *   cannot be re-derived, so the broker refuses to start and names the file.
 */
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCheckpoint, decodeCheckpoint } from '../../storage/checkpoints.js';
import { removeDir, spawnBroker, tempDir, type ChildBroker } from '../helpers/broker.js';
import { connectRaw, createTopics } from '../helpers/topic-admin.js';
import type { RawClient } from '../helpers/raw-client.js';
import { CHECKPOINTS, CLEAN_MARKER, DATA, TXN, type Observed, initProducerId, makeBaseline, observe, tornStateFiles } from './state-files.js';

const dirs: string[] = [];
let base = '';
let baseline: Observed;
const running = new Set<ChildBroker>();

/** Set once the file is done: a test still running after its timeout must not start brokers nobody stops. */
let over = false;
afterAll(async () => {
  over = true;
  for (const b of running) await b.kill('SIGKILL');
  dirs.forEach(removeDir);
});

async function start(dir: string, flags: Record<string, string> = {}): Promise<{ b: ChildBroker; c: RawClient }> {
  if (over) throw new Error('the test file is over');
  const b = await spawnBroker(dir, flags);
  running.add(b);
  return { b, c: await connectRaw(b.bootstrap) };
}

async function stop(b: ChildBroker, c: RawClient): Promise<void> {
  c.close();
  expect(await b.kill('SIGTERM')).toBe(0);
  running.delete(b);
}

const partDir = (dir: string, p: number) => join(dir, `${DATA}-${p}`);
const snapshotName = (dir: string) => readdirSync(partDir(dir, 0)).find((n) => n.endsWith('.snapshot'))!;

/** A copy of the baseline after a crash (no clean-shutdown marker). */
function crashedCopy(name: string): string {
  const dir = tempDir(name);
  dirs.push(dir);
  rmSync(dir, { recursive: true });
  cpSync(base, dir, { recursive: true });
  rmSync(join(dir, CLEAN_MARKER));
  rmSync(join(dir, '.lock'), { force: true });
  return dir;
}

beforeAll(async () => {
  base = tempDir('state-baseline');
  dirs.push(base);
  // A short checkpoint interval: a clean stop creates no first leader-epoch-checkpoint (the
  // clean-shutdown summary carries it), the periodic checkpoint does, and the cases need the files.
  const { b, c } = await start(base, { 'log.flush.offset.checkpoint.interval.ms': '100' });
  await makeBaseline(c);
  baseline = await observe(c);
  const epochFile = (p: number) => join(partDir(base, p), 'leader-epoch-checkpoint');
  for (let i = 0; i < 200 && !(existsSync(epochFile(0)) && existsSync(epochFile(1))); i++) await new Promise((r) => setTimeout(r, 50));
  await stop(b, c);
  expect([0, 1].map((p) => existsSync(epochFile(p)))).toEqual([true, true]);
  expect(tornStateFiles(base)).toEqual([]);
  expect(readFileSync(join(base, 'producer-id-block'), 'utf8')).toBe('nextBlockStart=1000\n');
  expect(baseline.ranges).toEqual([[0, 5], [4, 10]]);
  expect(baseline.producers).toEqual(['0/0/4']);
  expect(snapshotName(base)).toBe('00000000000000000005.snapshot');
}, 30_000);

/** For each state file: its path in a data dir, and content a later write could have given it. */
function stateFiles(dir: string): Array<{ path: string; next: string }> {
  const read = (p: string) => readFileSync(p, 'utf8');
  const files = [
    { path: join(dir, 'meta.properties'), next: read(join(dir, 'meta.properties')).replace(/cluster\.id=.*/, 'cluster.id=AnotherClusterIdAAAAAAA') },
    { path: join(dir, 'producer-id-block'), next: 'nextBlockStart=2000\n' },
    { path: join(dir, 'transactional-partitions.json'), next: JSON.stringify({ [TXN]: [0], [DATA]: [0, 1] }) },
  ];
  const meta = JSON.parse(read(join(dir, 'runnel-metadata.json')));
  meta.topics.push({ name: 'cp-ghost', id: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: 1, internal: false, configs: {} });
  files.push({ path: join(dir, 'runnel-metadata.json'), next: JSON.stringify(meta) });
  for (const name of CHECKPOINTS) {
    const entries = [...decodeCheckpoint(read(join(dir, name)))].map(([k, offset]) => ({ topic: k.split('\u0000')[0]!, partition: Number(k.split('\u0000')[1]), offset: offset + 2 }));
    files.push({ path: join(dir, name), next: encodeCheckpoint(entries).toString() });
  }
  for (const p of [0, 1]) files.push({ path: join(partDir(dir, p), 'leader-epoch-checkpoint'), next: '0\n2\n0 0\n7 2\n' });
  // A clean stop with nothing produced since rewrites the snapshot of the same name.
  files.push({ path: join(partDir(dir, 0), snapshotName(dir)), next: JSON.stringify({ version: 2, offset: 5, producers: [], ongoing: [], aborted: [] }) });
  return files;
}

describe('a crash during the write of every state file at once', () => {
  const variants: Array<[string, (s: string) => string]> = [
    ['killed before the temp file got any bytes', () => ''],
    ['killed halfway through the temp file', (s) => s.slice(0, Math.floor(s.length / 2))],
    ['renamed, but the directory was not fsynced (power lost)', (s) => s],
  ];
  it.each(variants)('%s: starts with the old state exactly; the next writes work', async (name, leftover) => {
    const dir = crashedCopy('state-tmp');
    for (const f of stateFiles(dir)) writeFileSync(`${f.path}.tmp`, leftover(f.next));
    const txnFile = readFileSync(join(dir, 'transactional-partitions.json'), 'utf8');
    const { b, c } = await start(dir);
    expect(await observe(c), name).toEqual(baseline);
    expect(readFileSync(join(dir, 'transactional-partitions.json'), 'utf8')).toBe(txnFile);
    for (const p of [0, 1]) expect(readdirSync(partDir(dir, p)).filter((n) => n.endsWith('.tmp')), 'partition dir temp files are removed').toEqual([]);
    // The producer id block is the old one: the next id is where it ended, never one handed out.
    expect((await initProducerId(c)).producerId).toBe(1000);
    expect((await createTopics(c, [{ name: 'cp-after' }]))[0]!.errorCode).toBe(0);
    await stop(b, c);
    expect(tornStateFiles(dir)).toEqual([]);
    expect(readFileSync(join(dir, 'producer-id-block'), 'utf8')).toBe('nextBlockStart=2000\n');
    const restarted = await start(dir);
    expect((await observe(restarted.c)).topics).toEqual([...baseline.topics, 'cp-after/1 '].sort());
    await stop(restarted.b, restarted.c);
  });
});

const half = (s: string) => s.slice(0, Math.floor(s.length / 2));

describe('a torn state file that the broker can rebuild', () => {
  const cases: Array<{ file: string; path: (dir: string) => string; tear?: (s: string) => string; expected?: (o: Observed) => Observed }> = [
    { file: 'leader-epoch-checkpoint', path: (d) => join(partDir(d, 1), 'leader-epoch-checkpoint') },
    { file: 'recovery-point-offset-checkpoint', path: (d) => join(d, 'recovery-point-offset-checkpoint') },
    {
      file: 'log-start-offset-checkpoint',
      path: (d) => join(d, 'log-start-offset-checkpoint'),
      // Kafka's LogManager: "resetting to the base offset of the first segment". The deleted
      // records of partition 1 come back; nothing else is lost.
      expected: (o) => ({ ...o, ranges: [o.ranges[0]!, [0, 10]], values: [o.values[0]!, `0:b-0 1:b-1 2:b-2 3:b-3 ${o.values[1]}`], epochs: o.epochs }),
    },
    { file: 'cleaner-offset-checkpoint', path: (d) => join(d, 'cleaner-offset-checkpoint') },
    { file: 'producer-state snapshot', path: (d) => join(partDir(d, 0), snapshotName(d)) },
    { file: 'transactional-partitions.json', path: (d) => join(d, 'transactional-partitions.json') },
    { file: 'clean-shutdown marker (with junk in it)', path: (d) => join(d, CLEAN_MARKER), tear: () => 'junk' },
  ];
  it.each(cases)('$file: starts, rebuilds it, and the state is the old one', async ({ file, path, tear, expected }) => {
    const dir = crashedCopy('state-torn');
    writeFileSync(path(dir), (tear ?? half)(readFileSync(path(base), 'utf8')));
    const { b, c } = await start(dir);
    expect(await observe(c), file).toEqual(expected ? expected(baseline) : baseline);
    if (file === 'transactional-partitions.json') {
      // Rebuilt as when it is missing: every partition may hold transactional data.
      expect(JSON.parse(readFileSync(path(dir), 'utf8'))).toMatchObject({ [TXN]: [0], [DATA]: [0, 1] });
      expect(b.logs.join('\n')).toMatch(/transactional-partitions\.json/);
    }
    await stop(b, c);
    expect(tornStateFiles(dir)).toEqual([]);
  });
});

describe('a torn state file that cannot be rebuilt: the broker refuses to start and names it', () => {
  const cases: Array<{ file: string; tear: (s: string) => string }> = [
    { file: 'meta.properties', tear: half },
    { file: 'meta.properties', tear: () => '' },
    { file: 'runnel-metadata.json', tear: half },
    { file: 'producer-id-block', tear: (s) => s.slice(0, 'nextBlockStart=10'.length) },
    { file: 'producer-id-block', tear: () => '' },
  ];
  it.each(cases)('$file torn', async ({ file, tear }) => {
    const dir = crashedCopy('state-refuse');
    const torn = tear(readFileSync(join(base, file), 'utf8'));
    writeFileSync(join(dir, file), torn);
    const failed = await spawnBroker(dir).then(
      (b) => {
        running.add(b);
        return null;
      },
      (e: Error) => e.message,
    );
    expect(failed, `a broker started on a torn ${file}`).not.toBeNull();
    expect(failed).toMatch(new RegExp(`runnel: .*${file.replace('.', '\\.')}.*(corrupt|unreadable)`));
    // Left as it was, for the operator to look at.
    expect(readFileSync(join(dir, file), 'utf8')).toBe(torn);
    expect(existsSync(join(dir, `${DATA}-0`))).toBe(true);
  });
});
