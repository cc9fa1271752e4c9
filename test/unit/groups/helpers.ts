/** Test helpers for the group coordinator: an in-memory offsets log, a fake leadership, fake-timer friendly joins. */
import { vi } from 'vitest';
import { Writer } from '../../../protocol/primitives.js';
import { DEFAULT_GROUP_CONFIG, type GroupConfig } from '../../../src/groups/config.js';
import { GroupCoordinator, type JoinRequest } from '../../../src/groups/coordinator.js';
import type { JoinResult, Protocol } from '../../../src/groups/member.js';
import { MemoryOffsetsLog } from '../../../src/groups/offsets-log.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../../src/data/internal-topic.js';
import { silentLogger } from '../../../src/logger.js';
import { FakeLeadership } from '../../helpers/fake-leadership.js';

/**
 * A coordinator over an in-memory log, leading every `__consumer_offsets` partition from the start
 * (or as `leadership` says). With a fresh log the partitions are owned before this returns;
 * `started` settles once loads of a log with records are done.
 */
export function setup(cfg: Partial<GroupConfig> = {}, log = new MemoryOffsetsLog(4), leadership = new FakeLeadership().ledFromStart(CONSUMER_OFFSETS_TOPIC, log.count)) {
  const config: GroupConfig = { ...DEFAULT_GROUP_CONFIG, initialRebalanceDelayMs: 0, minSessionTimeoutMs: 1000, ...cfg };
  const coord = new GroupCoordinator({
    log,
    config: () => config,
    logger: silentLogger(),
    leadership,
    partitionExists: (topic) => !topic.startsWith('missing'),
    logEndOffset: (topic, partition) => (topic.startsWith('missing') || topic.startsWith('deleted') ? null : 100 + partition),
  });
  const started = coord.start();
  return { coord, log, config, leadership, started };
}

/** A consumer-protocol subscription (version 0): topics, null user data. */
export function subscription(topics: string[]): Buffer {
  const size = 2 + 4 + topics.reduce((n, t) => n + 2 + Buffer.byteLength(t), 0) + 4;
  const w = new Writer(size);
  w.int16(0);
  w.int32(topics.length);
  for (const t of topics) w.string(t);
  w.int32(-1);
  return w.finish();
}

/** A consumer-protocol assignment (version 0). */
export function assignment(parts: Record<string, number[]>): Buffer {
  const entries = Object.entries(parts);
  const size = 2 + 4 + entries.reduce((n, [t, ps]) => n + 2 + Buffer.byteLength(t) + 4 + 4 * ps.length, 0) + 4;
  const w = new Writer(size);
  w.int16(0);
  w.int32(entries.length);
  for (const [t, ps] of entries) {
    w.string(t);
    w.int32(ps.length);
    for (const p of ps) w.int32(p);
  }
  w.int32(-1);
  return w.finish();
}

export function protocols(topics = ['t'], names = ['range']): Protocol[] {
  return names.map((name) => ({ name, metadata: subscription(topics) }));
}

export function joinReq(p: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: protocols(),
    requireKnownMemberId: false,
    supportsSkipAssignment: false,
    reason: null,
    ...p,
  };
}

/** Lets timers due within `ms` fire, and the promises they resolve run. */
export async function tick(ms = 0): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

/** Resolves `p` while advancing fake time in small steps (up to `maxMs`). */
export async function settle<T>(p: Promise<T>, maxMs = 60_000, step = 10): Promise<T> {
  let done = false;
  let value!: T;
  let error: unknown = null;
  p.then(
    (v) => {
      done = true;
      value = v;
    },
    (e: unknown) => {
      done = true;
      error = e ?? new Error('rejected');
    },
  );
  for (let t = 0; t <= maxMs && !done; t += step) await vi.advanceTimersByTimeAsync(step);
  if (!done) throw new Error(`not settled within ${maxMs} ms`);
  if (error) throw error;
  return value;
}

/** A member that joins and syncs: the whole first rebalance of a one-member group. */
export async function joinAndSync(coord: GroupCoordinator, p: Partial<JoinRequest> = {}, parts: Record<string, number[]> = { t: [0, 1] }): Promise<JoinResult> {
  const j = await settle(coord.join(joinReq(p)));
  if (j.errorCode !== 0) throw new Error(`join failed: ${j.errorCode}`);
  const s = await settle(coord.sync({ groupId: p.groupId ?? 'g', generationId: j.generationId, memberId: j.memberId, groupInstanceId: p.groupInstanceId ?? null, protocolType: null, protocolName: null, assignments: [{ memberId: j.memberId, assignment: assignment(parts) }] }));
  if (s.errorCode !== 0) throw new Error(`sync failed: ${s.errorCode}`);
  return j;
}

/** Whether a promise has settled (after pending microtasks). */
export async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await vi.advanceTimersByTimeAsync(0);
  return settled;
}
