/**
 * `runnel config describe|alter` — kafka-configs.sh for topics and brokers: --topic NAME,
 * --broker ID, --broker-defaults, or Kafka's --entity-type/--entity-name (and
 * --entity-default); --add-config/--delete-config work as --set/--delete. describe shows the
 * overrides (what was set) unless --all.
 */
import { ErrorCode, errorName } from '../../../protocol/errors.js';
import { Admin, ResourceType, type ConfigResource } from '../../client/admin.js';
import { UsageError } from '../args.js';
import type { CommandDef, CommandGroupDef } from '../command.js';
import type { Context } from '../context.js';
import { ALTER_FLAGS, alterOps } from './topic.js';

const ENTITY_FLAGS = [
  { name: 'topic', aliases: ['t'], type: 'string' as const, value: 'NAME', description: 'A topic' },
  { name: 'broker', type: 'string' as const, value: 'ID', description: 'A broker by node id' },
  { name: 'broker-defaults', type: 'boolean' as const, description: 'The cluster-wide dynamic broker defaults' },
  { name: 'entity-type', type: 'string' as const, value: 'topics|brokers', description: "kafka-configs' spelling", hidden: true },
  { name: 'entity-name', type: 'string' as const, value: 'NAME', description: "kafka-configs' spelling", hidden: true },
  { name: 'entity-default', type: 'boolean' as const, description: "kafka-configs' spelling of --broker-defaults", hidden: true },
];

/** Which resource the flags name. */
function resource(ctx: Context): ConfigResource & { label: string } {
  const type = ctx.string('entity-type');
  const name = ctx.string('entity-name') ?? ctx.args.positionals[0];
  if (ctx.string('topic') !== undefined || type === 'topics' || type === 'topic') {
    const topic = ctx.string('topic') ?? name;
    if (!topic) throw new UsageError('missing topic name');
    return { type: ResourceType.TOPIC, name: topic, label: `topic ${topic}` };
  }
  if (ctx.bool('broker-defaults') || ctx.bool('entity-default')) return { type: ResourceType.BROKER, name: '', label: 'the broker defaults' };
  if (ctx.string('broker') !== undefined || type === 'brokers' || type === 'broker') {
    const id = ctx.string('broker') ?? name;
    if (id === undefined || !/^\d+$/.test(id)) throw new UsageError('--broker needs a node id');
    return { type: ResourceType.BROKER, name: id, label: `broker ${id}` };
  }
  if (type !== undefined) throw new UsageError(`--entity-type ${type} is not supported (topics, brokers)`);
  throw new UsageError('name what to configure: --topic NAME, --broker ID or --broker-defaults');
}

const describe: CommandDef = {
  name: 'describe',
  summary: 'Config values with their sources (overrides only, unless --all)',
  usage: 'runnel config describe (--topic NAME | --broker ID | --broker-defaults) [--all]',
  flags: [...ENTITY_FLAGS, { name: 'all', type: 'boolean', description: 'Every config, defaults included' }],
  async run(ctx) {
    const res = resource(ctx);
    const admin = new Admin(ctx.kafka());
    let target = res;
    // The defaults resource is described through a broker (Kafka answers for '' only in AlterConfigs).
    if (res.type === ResourceType.BROKER && res.name === '') {
      const brokers = (await admin.cluster()).brokers;
      target = { ...res, name: String(brokers[0]?.nodeId ?? 1) };
    }
    let entries = await admin.describeConfigs(target);
    if (res.type === ResourceType.BROKER && res.name === '') entries = entries.filter((e) => e.source === 'DYNAMIC_DEFAULT_BROKER_CONFIG' || e.synonyms.some((s) => s.source === 'DYNAMIC_DEFAULT_BROKER_CONFIG'));
    else if (!ctx.bool('all')) entries = entries.filter((e) => e.source.startsWith('DYNAMIC_') || (res.type === ResourceType.BROKER && e.source === 'STATIC_BROKER_CONFIG'));
    ctx.printRows(
      ['NAME', 'VALUE', 'SOURCE', 'READ-ONLY'],
      entries.map((e) => [e.name, e.sensitive ? '(sensitive)' : e.value, e.source, e.readOnly ? 'yes' : 'no']),
      entries.map((e) => ({ name: e.name, value: e.sensitive ? null : e.value, source: e.source, readOnly: e.readOnly, sensitive: e.sensitive, synonyms: e.synonyms })),
    );
  },
};

const alter: CommandDef = {
  name: 'alter',
  summary: 'Set or remove dynamic configs of a topic or broker',
  usage: 'runnel config alter (--topic NAME | --broker ID | --broker-defaults) [--set key=value]... [--delete key]...',
  flags: [...ENTITY_FLAGS, ...ALTER_FLAGS, { name: 'validate-only', type: 'boolean', description: 'Check without changing anything' }],
  async run(ctx) {
    const res = resource(ctx);
    const ops = alterOps(ctx);
    const r = await new Admin(ctx.kafka()).alterConfigs(res, ops, ctx.bool('validate-only'));
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`cannot alter configs of ${res.label}: ${errorName(r.errorCode)}${r.errorMessage ? ` (${r.errorMessage})` : ''}`);
    if (ctx.json) ctx.printJson({ resource: res.label, changed: ops, validateOnly: ctx.bool('validate-only') });
    else ctx.out(`${ctx.bool('validate-only') ? 'Valid change of' : 'Completed updating config for'} ${res.label}: ${ops.map((o) => (o.op === 'delete' ? `-${o.name}` : `${o.name}=${'value' in o ? o.value : ''}`)).join(', ')}.`);
  },
};

export const group: CommandGroupDef = {
  name: 'config',
  summary: 'Describe and alter topic and broker configs',
  commands: [describe, alter],
  actionFlags: { describe: 'describe', alter: 'alter' },
};
