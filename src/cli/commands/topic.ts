/**
 * `runnel topic create|list|describe|delete|alter-config|add-partitions` — kafka-topics.sh's
 * jobs, with its flag spellings (--topic, --partitions, --replication-factor, --config,
 * --if-not-exists, --if-exists, --exclude-internal) and action flags (--create, --list ...).
 */
import { ErrorCode, errorName } from '../../../protocol/errors.js';
import { Admin, ResourceType, type AlterOp } from '../../client/admin.js';
import type { TopicInfo } from '../../client/cluster.js';
import { listValues, splitKeyValue, UsageError, type FlagSpec } from '../args.js';
import type { CommandDef, CommandGroupDef } from '../command.js';
import type { Context } from '../context.js';
import { renderTable } from '../table.js';

const TOPIC_FLAG: FlagSpec = { name: 'topic', aliases: ['t'], type: 'string', value: 'NAME', description: 'Topic name (or give it as an argument)' };

function itemError(what: string, code: number, message: string | null): Error {
  return new Error(`${what}: ${errorName(code)}${message ? ` (${message})` : ''}`);
}

const topicIdText = (id: Buffer): string | null => (id.every((b) => b === 0) ? null : id.toString('base64url'));

function topicNames(ctx: Context): string[] {
  const names = [...ctx.args.positionals, ...(ctx.string('topic') ? [ctx.string('topic')!] : [])];
  return names.flatMap((n) => n.split(',')).filter(Boolean);
}

export function parseConfigPairs(values: string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of values) {
    const [k, v] = splitKeyValue(kv, what);
    out[k] = v;
  }
  return out;
}

const create: CommandDef = {
  name: 'create',
  summary: 'Create topics',
  usage: 'runnel topic create <topic>... [--partitions N] [--replication-factor N] [--config key=value]...',
  flags: [
    TOPIC_FLAG,
    { name: 'partitions', aliases: ['p'], type: 'number', description: "Partition count (default: the broker's num.partitions)" },
    { name: 'replication-factor', aliases: ['r'], type: 'number', description: "Replicas per partition (default: the broker's default.replication.factor)" },
    { name: 'config', aliases: ['c'], type: 'list', value: 'KEY=VALUE', description: 'Topic config (repeatable), e.g. --config retention.ms=86400000' },
    { name: 'if-not-exists', type: 'boolean', description: 'Succeed when the topic already exists' },
    { name: 'validate-only', type: 'boolean', description: 'Check the request without creating anything' },
  ],
  async run(ctx) {
    const names = topicNames(ctx);
    if (names.length === 0) throw new UsageError('missing topic name');
    const configs = parseConfigPairs(listValues(ctx.list('config'), false), '--config');
    const admin = new Admin(ctx.kafka());
    const results = await admin.createTopics(
      names.map((name) => ({ name, partitions: ctx.number('partitions'), replicationFactor: ctx.number('replication-factor'), configs })),
      { validateOnly: ctx.bool('validate-only') },
    );
    const out: Array<{ topic: string; created: boolean; error: string | null }> = [];
    let failed: Error | null = null;
    for (const r of results) {
      const exists = r.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && ctx.bool('if-not-exists');
      if (r.errorCode !== ErrorCode.NONE && !exists) failed ??= itemError(`cannot create topic ${r.name}`, r.errorCode, r.errorMessage);
      out.push({ topic: r.name, created: r.errorCode === ErrorCode.NONE, error: r.errorCode === ErrorCode.NONE ? null : errorName(r.errorCode) });
    }
    if (ctx.json) ctx.printJson(out);
    else {
      for (const o of out) {
        if (o.created) ctx.out(ctx.bool('validate-only') ? `Topic ${o.topic} can be created.` : `Created topic ${o.topic}.`);
        else if (o.error === 'TOPIC_ALREADY_EXISTS' && ctx.bool('if-not-exists')) ctx.out(`Topic ${o.topic} already exists.`);
      }
    }
    if (failed) throw failed;
  },
};

const list: CommandDef = {
  name: 'list',
  summary: 'List topics with their partition counts',
  usage: 'runnel topic list [--exclude-internal] [--topic REGEX]',
  flags: [
    { name: 'exclude-internal', type: 'boolean', description: 'Leave out internal topics (__consumer_offsets ...)' },
    { name: 'topic', aliases: ['t'], type: 'string', value: 'REGEX', description: 'Only topics whose name matches' },
  ],
  async run(ctx) {
    const admin = new Admin(ctx.kafka());
    let topics = await admin.listTopics();
    if (ctx.bool('exclude-internal')) topics = topics.filter((t) => !t.internal);
    const pattern = ctx.string('topic') ?? ctx.args.positionals[0];
    if (pattern) {
      const re = new RegExp(`^(?:${pattern})$`);
      topics = topics.filter((t) => re.test(t.name));
    }
    ctx.printRows(
      ['TOPIC', 'PARTITIONS', 'REPLICATION-FACTOR', 'INTERNAL'],
      topics.map((t) => [t.name, t.partitions.length, t.partitions[0]?.replicas.length ?? 0, t.internal ? 'yes' : 'no']),
      topics.map((t) => ({ topic: t.name, topicId: topicIdText(t.topicId), partitions: t.partitions.length, replicationFactor: t.partitions[0]?.replicas.length ?? 0, internal: t.internal })),
    );
  },
};

const describe: CommandDef = {
  name: 'describe',
  summary: 'Partitions (leader, replicas, ISR, offsets) and non-default configs of topics',
  usage: 'runnel topic describe [<topic>...] [--exclude-internal]',
  flags: [TOPIC_FLAG, { name: 'exclude-internal', type: 'boolean', description: 'Leave out internal topics when describing all' }],
  async run(ctx) {
    const admin = new Admin(ctx.kafka());
    let topics: TopicInfo[];
    const names = topicNames(ctx);
    if (names.length > 0) {
      topics = await admin.describeTopics(names);
      const missing = topics.find((t) => t.errorCode !== ErrorCode.NONE);
      if (missing) throw itemError(`topic ${missing.name}`, missing.errorCode, null);
    } else {
      topics = await admin.listTopics();
      if (ctx.bool('exclude-internal')) topics = topics.filter((t) => !t.internal);
    }
    const ranges = await admin.offsetRange(topics.map((t) => t.name));
    const described = [];
    for (const t of topics) {
      const configs = await admin.describeConfigs({ type: ResourceType.TOPIC, name: t.name }).catch(() => []);
      const overrides = Object.fromEntries(configs.filter((c) => c.source === 'DYNAMIC_TOPIC_CONFIG').map((c) => [c.name, c.sensitive ? null : c.value]));
      described.push({
        topic: t.name,
        topicId: topicIdText(t.topicId),
        internal: t.internal,
        partitionCount: t.partitions.length,
        replicationFactor: t.partitions[0]?.replicas.length ?? 0,
        configs: overrides,
        partitions: t.partitions.map((p) => {
          const r = ranges.find((x) => x.topic === t.name && x.partition === p.partition);
          return { partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr, logStartOffset: r?.start ?? null, logEndOffset: r?.end ?? null };
        }),
      });
    }
    if (ctx.json) return ctx.printJson(described);
    for (const d of described) {
      const cfg = Object.entries(d.configs).map(([k, v]) => `${k}=${v ?? '(sensitive)'}`).join(',');
      ctx.out(`Topic: ${d.topic}\tTopicId: ${d.topicId ?? '-'}\tPartitionCount: ${d.partitionCount}\tReplicationFactor: ${d.replicationFactor}\tConfigs: ${cfg}`);
      ctx.out(
        renderTable(
          ['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'LOG-START-OFFSET', 'LOG-END-OFFSET'],
          d.partitions.map((p) => [p.partition, p.leader, p.replicas.join(','), p.isr.join(','), p.logStartOffset, p.logEndOffset]),
        ),
      );
    }
  },
};

const del: CommandDef = {
  name: 'delete',
  summary: 'Delete topics',
  usage: 'runnel topic delete <topic>... [--if-exists]',
  flags: [TOPIC_FLAG, { name: 'if-exists', type: 'boolean', description: 'Succeed when the topic does not exist' }],
  async run(ctx) {
    const names = topicNames(ctx);
    if (names.length === 0) throw new UsageError('missing topic name');
    const results = await new Admin(ctx.kafka()).deleteTopics(names);
    let failed: Error | null = null;
    const out = results.map((r) => {
      const missing = r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && ctx.bool('if-exists');
      if (r.errorCode !== ErrorCode.NONE && !missing) failed ??= itemError(`cannot delete topic ${r.name}`, r.errorCode, r.errorMessage);
      return { topic: r.name, deleted: r.errorCode === ErrorCode.NONE, error: r.errorCode === ErrorCode.NONE ? null : errorName(r.errorCode) };
    });
    if (ctx.json) ctx.printJson(out);
    else for (const o of out) if (o.deleted) ctx.out(`Deleted topic ${o.topic}.`);
    if (failed) throw failed;
  },
};

export function alterOps(ctx: Context): AlterOp[] {
  const ops: AlterOp[] = [];
  for (const kv of [...listValues(ctx.list('set'), false), ...listValues(ctx.list('add-config'))]) {
    const [name, value] = splitKeyValue(kv, '--set');
    ops.push({ op: 'set', name, value });
  }
  for (const name of [...listValues(ctx.list('delete')), ...listValues(ctx.list('delete-config'))]) ops.push({ op: 'delete', name });
  if (ops.length === 0) throw new UsageError('nothing to change: give --set key=value and/or --delete key');
  return ops;
}

export const ALTER_FLAGS: FlagSpec[] = [
  { name: 'set', type: 'list', value: 'KEY=VALUE', description: 'Set a config (repeatable)' },
  { name: 'delete', type: 'list', value: 'KEY', description: 'Remove an override, back to the default (repeatable)' },
  { name: 'add-config', type: 'list', value: 'K=V[,K=V]', description: "kafka-configs' spelling of --set (comma-separated; [a,b] for list values)", hidden: true },
  { name: 'delete-config', type: 'list', value: 'K[,K]', description: "kafka-configs' spelling of --delete", hidden: true },
];

const alterConfig: CommandDef = {
  name: 'alter-config',
  summary: 'Set or remove topic config overrides',
  usage: 'runnel topic alter-config <topic> [--set key=value]... [--delete key]...',
  flags: [TOPIC_FLAG, ...ALTER_FLAGS],
  async run(ctx) {
    const topic = ctx.positionalOr(0, 'topic', 'topic name')!;
    const ops = alterOps(ctx);
    const r = await new Admin(ctx.kafka()).alterConfigs({ type: ResourceType.TOPIC, name: topic }, ops);
    if (r.errorCode !== ErrorCode.NONE) throw itemError(`cannot alter configs of topic ${topic}`, r.errorCode, r.errorMessage);
    if (ctx.json) ctx.printJson({ topic, changed: ops });
    else ctx.out(`Updated configs of topic ${topic}: ${ops.map((o) => (o.op === 'delete' ? `-${o.name}` : `${o.name}=${'value' in o ? o.value : ''}`)).join(', ')}.`);
  },
};

const addPartitions: CommandDef = {
  name: 'add-partitions',
  summary: 'Grow a topic to N partitions in total',
  usage: 'runnel topic add-partitions <topic> --partitions N',
  flags: [TOPIC_FLAG, { name: 'partitions', aliases: ['p', 'count'], type: 'number', description: 'The new total partition count' }],
  async run(ctx) {
    const topic = ctx.positionalOr(0, 'topic', 'topic name')!;
    const count = ctx.number('partitions');
    if (count === undefined) throw new UsageError('missing --partitions N (the new total)');
    const r = await new Admin(ctx.kafka()).createPartitions(topic, count);
    if (r.errorCode !== ErrorCode.NONE) throw itemError(`cannot add partitions to ${topic}`, r.errorCode, r.errorMessage);
    if (ctx.json) ctx.printJson({ topic, partitions: count });
    else ctx.out(`Topic ${topic} now has ${count} partitions.`);
  },
};

export const group: CommandGroupDef = {
  name: 'topic',
  summary: 'Create, list, describe and delete topics; alter their configs; add partitions',
  commands: [create, list, describe, del, alterConfig, addPartitions],
  actionFlags: { create: 'create', list: 'list', describe: 'describe', delete: 'delete', alter: 'add-partitions' },
};
