/**
 * Issue 15 item 6: a crash test per state file, part 2 — live kill -9 loops. (Part 1,
 * state-files-crash-points.test.ts, builds crash leftovers and torn files by hand; part 3,
 * state-files-crash-images.test.ts, copies the data dir at every step of a real write.)
 *
 * A child broker (`node dist/runnel.mjs`; build first) takes requests that rewrite one kind of
 * state file while the test kills it with SIGKILL at a random moment (or right after a given
 * acknowledgement, or during a SIGTERM shutdown, or while it is still starting), then restarts it
 * on the same data dir. After every kill, before the restart, every state file on disk must be
 * whole (state-files.ts tornStateFiles); after every restart the broker must serve and every
 * acknowledged change must be there (the one request in flight at the kill may or may not be):
 * - runnel-metadata.json: CreateTopics, CreatePartitions, IncrementalAlterConfigs (topic and
 *   broker), DeleteTopics from two clients at once;
 * - producer-id-block: InitProducerId from three clients; no id is ever handed out twice;
 * - transactional-partitions.json: AddPartitionsToTxn; every acknowledged partition is recorded;
 * - producer-state snapshots (written at SIGTERM): an idempotent producer keeps its sequences
 *   across every restart, duplicates are recognised;
 * - recovery-point / log-start-offset / cleaner checkpoints, leader-epoch-checkpoint and the
 *   clean-shutdown marker: produce and DeleteRecords with checkpoints every 20 ms; acknowledged
 *   records and log start offsets survive, OffsetForLeaderEpoch answers the log end.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BROKER_NODE_FLAGS } from '../../src/node-flags.js';
import { freePort } from '../../bench/data-path/clients.js';
import { buildBatchSync, epochAnswers, metadata, offsetForLeaderEpoch, req } from '../differential/requests.js';
import { REPO_ROOT, removeDir, spawnBroker, tempDir, type ChildBroker } from '../helpers/broker.js';
import type { RawClient } from '../helpers/raw-client.js';
import { BROKER_RESOURCE, TOPIC_RESOURCE, connectRaw, createPartitions, createTopics, deleteRecords, deleteTopics, setConfigs } from '../helpers/topic-admin.js';
import { addPartitionToTxn, describeProducers, fetchValues, idempotentBatch, initProducerId, offsetRange, produceBatch, tornStateFiles } from './state-files.js';

const CYCLES = Number(process.env.STATE_KILL_CYCLES ?? 6);
const dirs: string[] = [];
let current: ChildBroker | null = null;
/** Set once the file is done: a test still running after its timeout must not start brokers nobody stops. */
let over = false;
afterAll(async () => {
  over = true;
  await current?.kill('SIGKILL');
  dirs.forEach(removeDir);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

/** A fresh data dir and port, and `start()` to (re)start a broker on them with `flags`. */
async function setup(name: string, flags: Record<string, string | number> = {}) {
  const dataDir = tempDir(name);
  dirs.push(dataDir);
  const port = await freePort();
  let dying = false;
  return {
    dataDir,
    async start(): Promise<ChildBroker> {
      if (over) throw new Error('the test file is over');
      current = await spawnBroker(dataDir, flags, port);
      dying = false;
      return current;
    },
    /**
     * Runs `step` in a loop until it returns false, or throws once the broker is being stopped
     * (its connections die): the number of steps. Any other failure fails the test.
     */
    async until(step: () => Promise<boolean>): Promise<number> {
      let n = 0;
      try {
        while (await step()) n++;
      } catch (e) {
        if (!dying) throw e;
      }
      return n;
    },
    /** SIGTERM: a clean stop (which the test may cut short with kill()). */
    terminate(): Promise<number | null> {
      dying = true;
      return current!.kill('SIGTERM');
    },
    /** SIGKILL now; then every state file must be whole. */
    async kill(why: string): Promise<void> {
      dying = true;
      await current?.kill('SIGKILL');
      current = null;
      expect(tornStateFiles(dataDir), `torn state files after kill -9 (${why})`).toEqual([]);
    },
    /** Starts a broker and kills it after `ms`, whether it finished starting or not. */
    async killWhileStarting(ms: number): Promise<void> {
      if (over) throw new Error('the test file is over');
      const args = [...BROKER_NODE_FLAGS, join(REPO_ROOT, 'dist', 'runnel.mjs'), `--listeners=PLAINTEXT://127.0.0.1:${port}`, `--log.dirs=${dataDir}`];
      for (const [k, v] of Object.entries(flags)) args.push(`--${k}=${v}`);
      const child = spawn(process.execPath, args, { stdio: 'ignore' });
      const exited = new Promise((r) => child.once('exit', r));
      setTimeout(() => child.kill('SIGKILL'), ms);
      await exited;
      expect(tornStateFiles(dataDir), `torn state files after kill -9 at startup (+${ms} ms)`).toEqual([]);
    },
  };
}

type Harness = Awaited<ReturnType<typeof setup>>;

// ---------------------------------------------------------------------------------------------

interface TopicModel {
  topics: Map<string, { partitions: number; retention: string }>;
  broker: string;
}
const cloneModel = (m: TopicModel): TopicModel => ({ topics: new Map([...m.topics].map(([k, v]) => [k, { ...v }])), broker: m.broker });

/** The part of the broker's state one metadata client owns: its topics (by prefix), and the broker config for client "a". */
async function observeTopics(c: RawClient, prefix: string): Promise<TopicModel> {
  const m = await metadata(c, null);
  const mine = m.topics.filter((t: { name: string }) => t.name.startsWith(prefix));
  const topics = new Map<string, { partitions: number; retention: string }>();
  if (mine.length > 0) {
    const d = await req(c, 32, 4, {
      resources: mine.map((t: { name: string }) => ({ resourceType: TOPIC_RESOURCE, resourceName: t.name, configurationKeys: ['retention.ms'] })),
      includeSynonyms: false,
      includeDocumentation: false,
    });
    for (const [i, t] of mine.entries()) {
      const cfg = d.results[i].configs[0];
      topics.set(t.name, { partitions: t.partitions.length, retention: cfg.configSource === 1 ? cfg.value : 'default' });
    }
  }
  const b = await req(c, 32, 4, { resources: [{ resourceType: BROKER_RESOURCE, resourceName: '1', configurationKeys: ['log.retention.bytes'] }], includeSynonyms: false, includeDocumentation: false });
  return { topics, broker: prefix === 'a' ? b.results[0].configs[0].value : '' };
}

/** One client's random metadata changes; each is applied to `model` once acknowledged. */
async function metadataClient(s: Harness, c: RawClient, prefix: string, model: TopicModel, pending: { op: ((m: TopicModel) => void) | null }, seq: { n: number }): Promise<number> {
  return s.until(async () => {
    const names = [...model.topics.keys()];
    const pick = names[rand(0, names.length)];
    const n = seq.n++;
    const kind = names.length < 3 ? 0 : names.length > 25 ? 3 : rand(0, prefix === 'a' ? 5 : 4);
    let op: (m: TopicModel) => void;
    let send: () => Promise<number>;
    if (kind === 0) {
      const name = `${prefix}${n}`;
      op = (m) => m.topics.set(name, { partitions: 1, retention: String(100000 + n) });
      send = async () => (await createTopics(c, [{ name, numPartitions: 1, configs: { 'retention.ms': String(100000 + n) } }]))[0]!.errorCode;
    } else if (kind === 1) {
      op = (m) => (m.topics.get(pick!)!.retention = String(200000 + n));
      send = async () => (await setConfigs(c, TOPIC_RESOURCE, pick!, { 'retention.ms': String(200000 + n) })).errorCode;
    } else if (kind === 2) {
      const count = Math.min(4, model.topics.get(pick!)!.partitions + 1);
      op = (m) => (m.topics.get(pick!)!.partitions = count);
      send = async () => (count > model.topics.get(pick!)!.partitions ? (await createPartitions(c, [{ name: pick!, count }]))[0]!.errorCode : 0);
    } else if (kind === 3) {
      op = (m) => m.topics.delete(pick!);
      send = async () => (await deleteTopics(c, [pick!]))[0]!.errorCode;
    } else {
      const value = String(1_000_000_000 + n);
      op = (m) => (m.broker = value);
      send = async () => (await setConfigs(c, BROKER_RESOURCE, '1', { 'log.retention.bytes': value })).errorCode;
    }
    pending.op = op;
    const code = await send();
    if (code !== 0) throw new Error(`metadata change ${kind} failed with ${code}`);
    op(model);
    pending.op = null;
    return true;
  });
}

describe('state files under kill -9', () => {
  it('runnel-metadata.json: every acknowledged topic and config change survives', async () => {
    const s = await setup('kill-metadata');
    const clients = ['a', 'b'].map((prefix) => ({ prefix, model: { topics: new Map(), broker: '' } as TopicModel, pending: { op: null as ((m: TopicModel) => void) | null } }));
    const seq = { n: 0 };
    let changes = 0;
    for (let cycle = 0; cycle <= CYCLES; cycle++) {
      const b = await s.start();
      for (const cl of clients) {
        const c = await connectRaw(b.bootstrap);
        const actual = await observeTopics(c, cl.prefix);
        if (cycle === 0) cl.model = actual; // nothing changed yet
        const maybe = cloneModel(cl.model);
        cl.pending.op?.(maybe);
        // Old state or new for the change in flight at the kill; the acknowledged ones all there.
        expect([cl.model, maybe], `cycle ${cycle}, client ${cl.prefix}`).toContainEqual(actual);
        cl.model = actual;
        cl.pending.op = null;
        c.close();
      }
      if (cycle === CYCLES) break;
      const running = Promise.all(clients.map(async (cl) => metadataClient(s, await connectRaw(b.bootstrap), cl.prefix, cl.model, cl.pending, seq)));
      const killed = sleep(rand(150, 600)).then(() => s.kill(`metadata cycle ${cycle}`));
      changes += (await Promise.all([running, killed]))[0].reduce((x, y) => x + y, 0);
    }
    expect(changes).toBeGreaterThan(CYCLES * 5);
    await s.kill('end');
  }, 60_000);

  it('producer-id-block: no producer id is handed out twice across kill -9', async () => {
    const s = await setup('kill-pid');
    const ids: number[] = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const b = await s.start();
      const loops = [0, 1, 2].map(async () => {
        const c = await connectRaw(b.bootstrap);
        return s.until(async () => {
          ids.push((await initProducerId(c)).producerId);
          return true;
        });
      });
      await sleep(rand(100, 500));
      await s.kill(`producer ids cycle ${cycle}`);
      await Promise.all(loops);
      // The block on disk always starts above every id handed out.
      const next = Number(/^nextBlockStart=(\d+)\n$/.exec(readFileSync(join(s.dataDir, 'producer-id-block'), 'utf8'))![1]);
      expect(next).toBeGreaterThan(Math.max(...ids));
    }
    expect(ids.length).toBeGreaterThan(CYCLES * 20);
    expect(new Set(ids).size, 'producer ids handed out twice').toBe(ids.length);
  }, 60_000);

  it('transactional-partitions.json: every acknowledged AddPartitionsToTxn is recorded', async () => {
    const s = await setup('kill-txnparts');
    const acked: string[] = [];
    // Requests in flight at a kill: each may be recorded then or later (the restarted coordinator
    // completes the transaction it was added to in __transaction_state).
    const inFlight = new Set<string>();
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const b = await s.start();
      const admin = await connectRaw(b.bootstrap);
      const topic = `txp-${cycle}`;
      expect((await createTopics(admin, [{ name: topic, numPartitions: 40 }]))[0]!.errorCode).toBe(0);
      admin.close();
      const loops = [0, 1].map(async (lane) => {
        const c = await connectRaw(b.bootstrap);
        const txId = `tx-${cycle}-${lane}`;
        const p = await initProducerId(c, txId).catch(() => null);
        let partition = lane;
        return s.until(async () => {
          if (!p || partition >= 40) return false;
          inFlight.add(`${topic}:${partition}`);
          const code = await addPartitionToTxn(c, txId, p, topic, partition);
          inFlight.delete(`${topic}:${partition}`);
          if (code !== 0) throw new Error(`AddPartitionsToTxn: ${code}`);
          acked.push(`${topic}:${partition}`);
          partition += 2;
          return true;
        });
      });
      await sleep(rand(100, 400));
      await s.kill(`transactional partitions cycle ${cycle}`);
      await Promise.all(loops);
      const file = JSON.parse(readFileSync(join(s.dataDir, 'transactional-partitions.json'), 'utf8')) as Record<string, number[]>;
      const recorded = new Set(Object.entries(file).flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)));
      expect(acked.filter((x) => !recorded.has(x)), `cycle ${cycle}: acknowledged partitions missing`).toEqual([]);
      // Nothing else than what was asked: acknowledged, or in flight at the kill.
      expect([...recorded].filter((x) => !acked.includes(x) && !inFlight.has(x))).toEqual([]);
    }
    expect(acked.length).toBeGreaterThan(CYCLES * 3);
    // And the broker serves them: one more start, a transaction over an acknowledged partition.
    const b = await s.start();
    const c = await connectRaw(b.bootstrap);
    const [t, p] = acked[0]!.split(':');
    expect(await addPartitionToTxn(c, 'tx-final', await initProducerId(c, 'tx-final'), t!, Number(p))).toBe(0);
    c.close();
    await s.kill('end');
  }, 60_000);

  it('producer-state snapshots: an idempotent producer keeps its sequences across SIGTERM cut short by kill -9', async () => {
    const PARTS = 12;
    const s = await setup('kill-snapshots');
    let b = await s.start();
    let c = await connectRaw(b.bootstrap);
    expect((await createTopics(c, [{ name: 'snap', numPartitions: PARTS }]))[0]!.errorCode).toBe(0);
    const pid = await initProducerId(c);
    const next = Array.from({ length: PARTS }, () => 0);
    const last: Array<{ batch: Buffer; baseOffset: number } | null> = Array.from({ length: PARTS }, () => null);
    const acked = Array.from({ length: PARTS }, () => new Map<number, string>());
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      if (cycle > 0) {
        b = await s.start();
        c = await connectRaw(b.bootstrap);
        for (let p = 0; p < PARTS; p++) {
          expect(await describeProducers(c, 'snap', p), `cycle ${cycle} partition ${p}`).toEqual(next[p]! > 0 ? [`${pid.producerId}/0/${next[p]! - 1}`] : []);
          // The last acknowledged batch again is a duplicate: its original offsets, not a new append.
          if (last[p]) expect(await produceBatch(c, 'snap', p, last[p]!.batch), `duplicate, partition ${p}`).toEqual({ errorCode: 0, baseOffset: last[p]!.baseOffset });
        }
      }
      // Produce (nothing in flight at the stop), then SIGTERM — snapshots are written — cut short by SIGKILL.
      const deadline = Date.now() + rand(100, 300);
      for (let i = 0; Date.now() < deadline; i++) {
        const p = i % PARTS;
        const batch = idempotentBatch(pid, next[p]!, 3, `c${cycle}`);
        const r = await produceBatch(c, 'snap', p, batch);
        expect(r.errorCode, `cycle ${cycle} partition ${p} seq ${next[p]}`).toBe(0);
        for (let k = 0; k < 3; k++) acked[p]!.set(r.baseOffset + k, `c${cycle}-${next[p]! + k}`);
        last[p] = { batch, baseOffset: r.baseOffset };
        next[p]! += 3;
      }
      c.close();
      const stopping = cycle % 3 === 2 ? s.kill(`snapshots cycle ${cycle}, no SIGTERM`) : s.terminate();
      await sleep(rand(0, 60));
      await s.kill(`snapshots cycle ${cycle}`);
      await stopping;
    }
    b = await s.start();
    c = await connectRaw(b.bootstrap);
    for (let p = 0; p < PARTS; p++) {
      const values = await fetchValues(c, 'snap', p, 0);
      expect([...values], `partition ${p}: every acknowledged record once, at its offset`).toEqual([...acked[p]!]);
      expect((await produceBatch(c, 'snap', p, idempotentBatch(pid, next[p]!, 1, 'end'))).errorCode).toBe(0);
    }
    c.close();
    await s.kill('end');
  }, 60_000);

  it('checkpoints, leader-epoch-checkpoint, clean-shutdown marker: acknowledged records and DeleteRecords survive', async () => {
    const PARTS = 16;
    const s = await setup('kill-checkpoints', { 'log.flush.offset.checkpoint.interval.ms': 20, 'log.retention.check.interval.ms': 50, 'log.segment.bytes': 4096 });
    const acked = Array.from({ length: PARTS }, () => new Map<number, string>());
    const low = Array.from({ length: PARTS }, () => 0);
    let pendingDelete = null as { p: number; to: number } | null;
    const timeline: string[] = [];
    for (let cycle = 0; cycle <= CYCLES; cycle++) {
      const b = await s.start();
      const c = await connectRaw(b.bootstrap);
      if (cycle === 0) expect((await createTopics(c, [{ name: 'cpk', numPartitions: PARTS }]))[0]!.errorCode).toBe(0);
      const ranges = await offsetRange(c, 'cpk', PARTS);
      const epochs = epochAnswers(await offsetForLeaderEpoch(c, 'cpk', ranges.map((_, partition) => ({ partition, leaderEpoch: 0 }))));
      for (let p = 0; p < PARTS; p++) {
        const [first, end] = ranges[p]!;
        const ctx = `cycle ${cycle} partition ${p}\n${timeline.join('\n')}`;
        // The acknowledged log start offset, or the DeleteRecords in flight at the kill.
        expect(first === low[p] || (pendingDelete?.p === p && first === pendingDelete.to), `${ctx}: log start ${first}, acknowledged ${low[p]}, DeleteRecords in flight: ${JSON.stringify(pendingDelete)}`).toBe(true);
        low[p] = first;
        expect(end, ctx).toBeGreaterThanOrEqual(Math.max(first, ...acked[p]!.keys()) + (acked[p]!.size > 0 ? 1 : 0));
        // Epoch 0 ends at the log end; a log with nothing in it may have no epoch at all.
        expect(end > first ? [`NONE 0 ${end}`] : [`NONE 0 ${end}`, 'NONE -1 -1'], ctx).toContain(epochs[p]);
        const values = await fetchValues(c, 'cpk', p, first);
        const lost = [...acked[p]!].filter(([o, v]) => o >= first && values.get(o) !== v);
        expect(lost.slice(0, 5), `${ctx}: acknowledged records lost`).toEqual([]);
        for (const o of [...acked[p]!.keys()]) if (o < first) acked[p]!.delete(o);
      }
      pendingDelete = null;
      if (cycle === CYCLES) break;
      // Produce acks=-1 and now and then DeleteRecords half way; kill at a random moment, right
      // after a DeleteRecords is acknowledged, or during a SIGTERM shutdown.
      const mode = (['random', 'after-delete', 'shutdown'] as const)[cycle % 3]!;
      let stopAfterDelete = 0;
      let i = 0;
      const work = s.until(async () => {
        if (stopAfterDelete && Date.now() > stopAfterDelete) return false;
        const p = rand(0, PARTS);
        if (++i % 6 === 0) {
          const end = Math.max(...acked[p]!.keys(), low[p]! - 1) + 1;
          const to = low[p]! + Math.floor((end - low[p]!) / 2);
          if (to <= low[p]!) return true;
          pendingDelete = { p, to };
          const r = await deleteRecords(c, 'cpk', p, to);
          if (r.errorCode !== 0) throw new Error(`DeleteRecords: ${r.errorCode}`);
          low[p] = r.lowWatermark;
          pendingDelete = null;
          return stopAfterDelete === 0;
        }
        const values = Array.from({ length: rand(1, 20) }, (_, k) => `c${cycle}-${i}-${k}`);
        const r = await produceBatch(c, 'cpk', p, buildBatchSync(values.map((value) => ({ key: null, value, timestamp: Date.now() }))));
        if (r.errorCode !== 0) throw new Error(`Produce: ${r.errorCode}`);
        values.forEach((v, k) => acked[p]!.set(r.baseOffset + k, v));
        return true;
      });
      const ms = rand(100, 500);
      await sleep(ms);
      if (mode === 'after-delete') {
        stopAfterDelete = Date.now() + 3000;
        await work;
        await s.kill(`cycle ${cycle}: right after a DeleteRecords`);
      } else if (mode === 'shutdown') {
        const stopping = s.terminate();
        await sleep(rand(0, 40));
        await s.kill(`cycle ${cycle}: during shutdown`);
        await stopping;
      } else {
        await s.kill(`cycle ${cycle}: after ${ms} ms`);
      }
      timeline.push(`cycle ${cycle} (${mode}): ${await work} requests`);
      c.close();
      // Now and then the next start is killed too, while it recovers and checkpoints.
      if (cycle % 2 === 1) await s.killWhileStarting(rand(150, 600));
    }
    await s.kill('end');
  }, 60_000);
});
