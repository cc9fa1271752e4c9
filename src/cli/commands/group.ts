/**
 * `runnel group list|describe|reset-offsets|delete` — kafka-consumer-groups.sh: the same columns
 * (GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID), the same
 * reset specs (--to-earliest --to-latest --to-offset --to-datetime --by-duration --shift-by
 * --to-current) and the same safety: reset-offsets only previews unless --execute, and only
 * touches groups with no active members. Share groups (KIP-932) are listed with protocol type
 * "share" and described with their share-partition start offsets, in-flight counts and lag
 * (share-group.ts).
 */
import { ErrorCode, errorName } from '../../../protocol/errors.js';
import { Admin, OffsetSpec, tpKey, type GroupDescription, type TopicPartition } from '../../client/admin.js';
import { assignmentPartitions } from '../../../protocol/consumer-protocol.js';
import { UsageError, type FlagSpec } from '../args.js';
import type { CommandDef, CommandGroupDef } from '../command.js';
import type { Context } from '../context.js';
import { renderTable } from '../table.js';
import { parseIsoDuration, parseTime } from '../time.js';
import { describeShareGroupReport, printShareGroupReport, type ShareGroupReport } from './share-group.js';

const GROUP_FLAG: FlagSpec = { name: 'group', aliases: ['g'], type: 'string', value: 'ID', description: 'Group id (or give it as an argument)' };

function groupIds(ctx: Context): string[] {
  return [...ctx.args.positionals, ...(ctx.string('group') ? [ctx.string('group')!] : [])].flatMap((g) => g.split(',')).filter(Boolean);
}

const list: CommandDef = {
  name: 'list',
  summary: 'List consumer groups with their state',
  usage: 'runnel group list [--state STATE[,STATE]]',
  flags: [{ name: 'state', type: 'string', value: 'STATE[,STATE]', description: 'Only groups in these states (Stable, Empty, PreparingRebalance ...)' }],
  async run(ctx) {
    const states = ctx.string('state')?.split(',').filter(Boolean) ?? [];
    const groups = await new Admin(ctx.kafka()).listGroups(states);
    ctx.printRows(
      ['GROUP', 'STATE', 'PROTOCOL-TYPE'],
      groups.map((g) => [g.groupId, g.state, g.protocolType]),
      groups.map((g) => ({ group: g.groupId, state: g.state, protocolType: g.protocolType })),
    );
  },
};

export interface OffsetRow {
  group: string;
  topic: string;
  partition: number;
  currentOffset: number | null;
  logEndOffset: number | null;
  lag: number | null;
  consumerId: string | null;
  host: string | null;
  clientId: string | null;
}

export interface GroupReport {
  group: string;
  state: string;
  protocolType: string;
  assignmentStrategy: string;
  members: Array<{ consumerId: string; groupInstanceId: string | null; host: string; clientId: string; assignment: Array<{ topic: string; partitions: number[] }> }>;
  offsets: OffsetRow[];
  totalLag: number;
}

/** Everything `group describe` shows: state, members with their partitions, offsets and lag. */
export async function describeGroupReport(admin: Admin, groupId: string): Promise<GroupReport> {
  const desc: GroupDescription = await admin.describeGroup(groupId);
  if (desc.errorCode !== ErrorCode.NONE) throw new Error(`cannot describe group ${groupId}: ${errorName(desc.errorCode)}`);
  const committed = (await admin.committedOffsets(groupId)).filter((c) => c.offset >= 0 || c.errorCode !== ErrorCode.NONE);
  if (desc.state === 'Dead' && committed.length === 0) throw new Error(`Consumer group '${groupId}' does not exist.`);
  const rows = new Map<string, OffsetRow>();
  const row = (topic: string, partition: number): OffsetRow => {
    const k = tpKey(topic, partition);
    let r = rows.get(k);
    if (!r) rows.set(k, (r = { group: groupId, topic, partition, currentOffset: null, logEndOffset: null, lag: null, consumerId: null, host: null, clientId: null }));
    return r;
  };
  const members = desc.members.map((m) => {
    const assigned = desc.protocolType === 'consumer' ? (assignmentPartitions(m.assignment) ?? new Map<string, number[]>()) : new Map<string, number[]>();
    for (const [topic, parts] of assigned) {
      for (const p of parts) {
        const r = row(topic, p);
        r.consumerId = m.memberId;
        r.host = m.clientHost;
        r.clientId = m.clientId;
      }
    }
    return { consumerId: m.memberId, groupInstanceId: m.groupInstanceId, host: m.clientHost, clientId: m.clientId, assignment: [...assigned].map(([topic, partitions]) => ({ topic, partitions })) };
  });
  for (const c of committed) row(c.topic, c.partition).currentOffset = c.offset >= 0 ? c.offset : null;
  const tps = [...rows.values()];
  const ends = await admin.listOffsets(tps.map((r) => ({ topic: r.topic, partition: r.partition, timestamp: OffsetSpec.LATEST })));
  const endBy = new Map(ends.filter((e) => e.errorCode === ErrorCode.NONE).map((e) => [tpKey(e.topic, e.partition), e.offset]));
  let totalLag = 0;
  for (const r of tps) {
    r.logEndOffset = endBy.get(tpKey(r.topic, r.partition)) ?? null;
    if (r.currentOffset !== null && r.logEndOffset !== null) {
      r.lag = Math.max(0, r.logEndOffset - r.currentOffset);
      totalLag += r.lag;
    }
  }
  tps.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  return { group: groupId, state: desc.state, protocolType: desc.protocolType, assignmentStrategy: desc.protocol, members, offsets: tps, totalLag };
}

const describe: CommandDef = {
  name: 'describe',
  summary: 'Offsets, log end offsets and lag per partition, with the member reading each',
  usage: 'runnel group describe <group>... [--members | --state] | --all-groups',
  flags: [
    GROUP_FLAG,
    { name: 'all-groups', type: 'boolean', description: 'Describe every group' },
    { name: 'members', type: 'boolean', description: 'One row per member instead of per partition' },
    { name: 'state', type: 'boolean', description: 'One row per group: strategy, state, member count' },
    { name: 'offsets', type: 'boolean', description: 'One row per partition (the default)', hidden: true },
  ],
  async run(ctx) {
    const admin = new Admin(ctx.kafka());
    let ids = groupIds(ctx);
    if (ctx.bool('all-groups')) ids = (await admin.listGroups()).map((g) => g.groupId);
    else if (ids.length === 0) throw new UsageError('missing group id (or --all-groups)');
    // Share groups (KIP-932) have their own report (share-group.ts); ListGroups names them.
    const share = new Set((await admin.listGroups()).filter((g) => g.protocolType === 'share').map((g) => g.groupId));
    const reports: Array<GroupReport | ShareGroupReport> = [];
    for (const id of ids) reports.push(share.has(id) ? await describeShareGroupReport(admin, id) : await describeGroupReport(admin, id));
    if (ctx.json) return ctx.printJson(ids.length === 1 && !ctx.bool('all-groups') ? reports[0] : reports);
    for (const r of reports) {
      if ('type' in r) {
        printShareGroupReport(ctx, r);
        continue;
      }
      if (ctx.bool('state')) {
        ctx.out(renderTable(['GROUP', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'], [[r.group, r.assignmentStrategy, r.state, r.members.length]]));
        continue;
      }
      if (r.members.length === 0) ctx.note(`Consumer group '${r.group}' has no active members.`);
      if (ctx.bool('members')) {
        ctx.out(renderTable(['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS'], r.members.map((m) => [r.group, m.consumerId, m.host, m.clientId, m.assignment.reduce((n, a) => n + a.partitions.length, 0)])));
        continue;
      }
      ctx.out(
        renderTable(
          ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
          r.offsets.map((o) => [o.group, o.topic, o.partition, o.currentOffset, o.logEndOffset, o.lag, o.consumerId, o.host, o.clientId]),
        ),
      );
    }
  },
};

type ResetSpec = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'current' } | { kind: 'offset'; offset: number } | { kind: 'datetime'; timestamp: number } | { kind: 'shift'; by: number };

function resetSpec(ctx: Context): ResetSpec {
  const specs: ResetSpec[] = [];
  if (ctx.bool('to-earliest')) specs.push({ kind: 'earliest' });
  if (ctx.bool('to-latest')) specs.push({ kind: 'latest' });
  if (ctx.bool('to-current')) specs.push({ kind: 'current' });
  const to = ctx.number('to-offset');
  if (to !== undefined) specs.push({ kind: 'offset', offset: to });
  const dt = ctx.string('to-datetime');
  if (dt !== undefined) specs.push({ kind: 'datetime', timestamp: parseTime(dt, '--to-datetime') });
  const dur = ctx.string('by-duration');
  if (dur !== undefined) specs.push({ kind: 'datetime', timestamp: Date.now() - parseIsoDuration(dur, '--by-duration') });
  const shift = ctx.number('shift-by');
  if (shift !== undefined) specs.push({ kind: 'shift', by: shift });
  if (specs.length !== 1) throw new UsageError('give exactly one of --to-earliest, --to-latest, --to-current, --to-offset N, --to-datetime TIME, --by-duration PnDTnHnM, --shift-by N');
  return specs[0]!;
}

/** --topic t, t:0, t:0,1,2 (Kafka's partition spec); null partitions = all of them. */
function topicScopes(values: string[]): Array<{ topic: string; partitions: number[] | null }> {
  return values.map((v) => {
    const i = v.lastIndexOf(':');
    if (i < 0) return { topic: v, partitions: null };
    const parts = v
      .slice(i + 1)
      .split(',')
      .map((p) => {
        const n = Number(p);
        if (!Number.isInteger(n) || n < 0) throw new UsageError(`--topic ${v}: '${p}' is not a partition number`);
        return n;
      });
    return { topic: v.slice(0, i), partitions: parts };
  });
}

const resetOffsets: CommandDef = {
  name: 'reset-offsets',
  summary: 'Move committed offsets of an inactive group (a preview unless --execute)',
  usage: 'runnel group reset-offsets <group> (--topic T[:P,P] | --all-topics) (--to-earliest | --to-latest | --to-offset N | --to-datetime TIME | --by-duration D | --shift-by N | --to-current) [--execute]',
  flags: [
    GROUP_FLAG,
    { name: 'topic', aliases: ['t'], type: 'list', value: 'TOPIC[:P,P]', description: 'Topic (and partitions) to reset (repeatable)' },
    { name: 'all-topics', type: 'boolean', description: 'Every topic the group has offsets for' },
    { name: 'to-earliest', type: 'boolean', description: 'To the log start offset' },
    { name: 'to-latest', type: 'boolean', description: 'To the log end offset' },
    { name: 'to-current', type: 'boolean', description: 'To the committed offset (no move)' },
    { name: 'to-offset', type: 'number', description: 'To this offset (kept within the log)' },
    { name: 'to-datetime', type: 'string', value: 'TIME', description: 'To the first offset at or after this time (epoch ms or 2024-05-01T12:00:00.000)' },
    { name: 'by-duration', type: 'string', value: 'PnDTnHnM', description: 'To the first offset at or after now minus this duration' },
    { name: 'shift-by', type: 'number', description: 'By this many offsets from the committed one (negative: back)' },
    { name: 'execute', type: 'boolean', description: 'Commit the new offsets (without it: a preview)' },
    { name: 'dry-run', type: 'boolean', description: 'Only show the new offsets (the default)' },
  ],
  async run(ctx) {
    const [groupId] = groupIds(ctx);
    if (!groupId) throw new UsageError('missing group id');
    const spec = resetSpec(ctx);
    const scopes = topicScopes(listOf(ctx.list('topic')));
    if (scopes.length === 0 && !ctx.bool('all-topics')) throw new UsageError('give --topic TOPIC[:PARTITIONS] or --all-topics');
    if (ctx.bool('execute') && ctx.bool('dry-run')) throw new UsageError('--execute and --dry-run exclude each other');
    const admin = new Admin(ctx.kafka());
    const desc = await admin.describeGroup(groupId);
    if (desc.errorCode !== ErrorCode.NONE) throw new Error(`cannot describe group ${groupId}: ${errorName(desc.errorCode)}`);
    if (desc.state !== 'Empty' && desc.state !== 'Dead') {
      throw new Error(`Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${desc.state}.`);
    }
    const committed = await admin.committedOffsets(groupId);
    const current = new Map(committed.filter((c) => c.offset >= 0).map((c) => [tpKey(c.topic, c.partition), c.offset]));
    if (ctx.bool('all-topics')) for (const t of new Set(committed.filter((c) => c.offset >= 0).map((c) => c.topic))) scopes.push({ topic: t, partitions: null });
    const tps: TopicPartition[] = [];
    const seen = new Set<string>();
    for (const s of scopes) {
      const t = await ctx.kafka().topic(s.topic, { refresh: true });
      for (const p of s.partitions ?? t.partitions.map((x) => x.partition)) {
        if (!t.partitions.some((x) => x.partition === p)) throw new Error(`topic ${s.topic} has no partition ${p}`);
        if (!seen.has(tpKey(s.topic, p))) tps.push({ topic: s.topic, partition: p });
        seen.add(tpKey(s.topic, p));
      }
    }
    const range = new Map((await admin.offsetRange([...new Set(tps.map((t) => t.topic))])).map((r) => [tpKey(r.topic, r.partition), r]));
    const atTime = spec.kind === 'datetime' ? new Map((await admin.listOffsets(tps.map((tp) => ({ ...tp, timestamp: spec.timestamp })))).map((o) => [tpKey(o.topic, o.partition), o.offset])) : null;
    const plan = tps.map((tp) => {
      const k = tpKey(tp.topic, tp.partition);
      const r = range.get(k)!;
      const cur = current.get(k) ?? null;
      let target: number;
      switch (spec.kind) {
        case 'earliest':
          target = r.start;
          break;
        case 'latest':
          target = r.end;
          break;
        case 'current':
          if (cur === null) throw new Error(`${tp.topic}-${tp.partition} has no committed offset in group ${groupId}`);
          target = cur;
          break;
        case 'offset':
          target = spec.offset;
          break;
        case 'datetime': {
          const o = atTime!.get(k) ?? -1;
          target = o < 0 ? r.end : o;
          break;
        }
        case 'shift':
          if (cur === null) throw new Error(`${tp.topic}-${tp.partition} has no committed offset in group ${groupId} to shift from`);
          target = cur + spec.by;
          break;
      }
      // Kafka keeps the new offset inside the log, with a warning.
      if (target < r.start) {
        ctx.note(`New offset (${target}) is lower than earliest offset for ${tp.topic}-${tp.partition}. Value will be set to ${r.start}`);
        target = r.start;
      } else if (target > r.end) {
        ctx.note(`New offset (${target}) is higher than latest offset for ${tp.topic}-${tp.partition}. Value will be set to ${r.end}`);
        target = r.end;
      }
      return { group: groupId, topic: tp.topic, partition: tp.partition, previousOffset: cur, newOffset: target };
    });
    const execute = ctx.bool('execute');
    if (execute && plan.length > 0) {
      const results = await admin.commitOffsets(groupId, plan.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.newOffset })));
      const failed = results.find((r) => r.errorCode !== ErrorCode.NONE);
      if (failed) throw new Error(`cannot commit the new offset of ${failed.topic}-${failed.partition}: ${errorName(failed.errorCode)}${failed.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || failed.errorCode === ErrorCode.ILLEGAL_GENERATION ? ' (the group became active again)' : ''}`);
    } else if (!ctx.bool('dry-run')) ctx.note('No offsets were changed: this is a preview. Add --execute to commit them.');
    if (ctx.json) return ctx.printJson({ group: groupId, executed: execute, offsets: plan });
    ctx.out(renderTable(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], plan.map((p) => [p.group, p.topic, p.partition, p.newOffset])));
  },
};

function listOf(values: string[]): string[] {
  // --topic a --topic b, or --topic a,b without partition lists
  return values.flatMap((v) => (v.includes(':') ? [v] : v.split(','))).filter(Boolean);
}

const del: CommandDef = {
  name: 'delete',
  summary: 'Delete groups with no active members (and their committed offsets)',
  usage: 'runnel group delete <group>...',
  flags: [GROUP_FLAG],
  async run(ctx) {
    const ids = groupIds(ctx);
    if (ids.length === 0) throw new UsageError('missing group id');
    const results = await new Admin(ctx.kafka()).deleteGroups(ids);
    const out = results.map((r) => ({ group: r.name, deleted: r.errorCode === ErrorCode.NONE, error: r.errorCode === ErrorCode.NONE ? null : errorName(r.errorCode) }));
    if (ctx.json) ctx.printJson(out);
    else {
      const ok = out.filter((o) => o.deleted).map((o) => `'${o.group}'`);
      if (ok.length > 0) ctx.out(`Deletion of requested consumer groups (${ok.join(', ')}) was successful.`);
    }
    const failed = out.find((o) => !o.deleted);
    if (failed) {
      const why = failed.error === 'NON_EMPTY_GROUP' ? 'the group has active members' : failed.error === 'GROUP_ID_NOT_FOUND' ? 'the group does not exist' : failed.error;
      throw new Error(`cannot delete group ${failed.group}: ${failed.error}${why !== failed.error ? ` (${why})` : ''}`);
    }
  },
};

export const group: CommandGroupDef = {
  name: 'group',
  summary: 'List, describe (with lag), reset offsets of and delete consumer groups',
  commands: [list, describe, resetOffsets, del],
  actionFlags: { list: 'list', describe: 'describe', 'reset-offsets': 'reset-offsets', delete: 'delete' },
};
