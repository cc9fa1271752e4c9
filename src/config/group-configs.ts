/**
 * Per-group configs (config resource type GROUP = 32, KIP-848/KIP-932/KIP-1191): the keys Kafka
 * 4.4's GroupConfig describes, each with Kafka's type, documentation, the broker key whose value is
 * its default, and Kafka's validation (its messages; bounds from the broker's group.*.min/max
 * keys). Values are kept as the strings they were set to (admin/group-configs.ts stores them);
 * groupConfigValue reads the effective one for the coordinators.
 */
import type { ConfigView } from './view.js';

export type GroupConfigType = 'int' | 'string' | 'boolean' | 'list';

export interface GroupConfigDef {
  readonly name: string;
  readonly type: GroupConfigType;
  readonly doc: string;
  /** The broker key that gives the default (also the described synonym); null: `fallback`. */
  readonly broker: string | null;
  readonly fallback: string;
  /** The broker key Kafka names as the default's synonym when Runnel has no such key. */
  readonly synonym?: string;
  /** Kafka's ConfigDef check on the parsed value (before the broker bounds). */
  readonly atLeast?: number;
  readonly oneOf?: readonly string[];
  /** Broker keys of the inclusive [min, max] bounds, or fixed ones (keys Runnel does not have). */
  readonly range?: readonly [string | number, string | number];
  /** A custom check; returns the message after "Invalid value X for configuration K: ". */
  readonly check?: (v: string) => string | null;
}

/** Kafka's by_duration format (java.time.Duration.parse), non-negative. */
const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d{1,9})?)S)?)?$/i;

/** Milliseconds of an ISO-8601 duration as Kafka's by_duration takes it, or null. */
export function parseIsoDuration(s: string): number | null {
  const m = DURATION.exec(s);
  if (!m || s.toUpperCase().endsWith('T') || s.length < 3) return null;
  const [, d, h, min, sec] = m;
  return (Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number((sec ?? '0').replace(',', '.'))) * 1000;
}

const resetCheck = (v: string): string | null =>
  v === 'earliest' || v === 'latest' || (v.startsWith('by_duration:') && parseIsoDuration(v.slice('by_duration:'.length)) !== null)
    ? null
    : `Invalid value \`${v}\` for configuration share.auto.offset.reset. The value must be either 'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'.`;

export const GROUP_CONFIGS: readonly GroupConfigDef[] = [
  { name: 'consumer.session.timeout.ms', type: 'int', broker: 'group.consumer.session.timeout.ms', fallback: '45000', range: ['group.consumer.min.session.timeout.ms', 'group.consumer.max.session.timeout.ms'], doc: 'The timeout to detect client failures when using the consumer group protocol.' },
  { name: 'consumer.heartbeat.interval.ms', type: 'int', broker: 'group.consumer.heartbeat.interval.ms', fallback: '5000', range: ['group.consumer.min.heartbeat.interval.ms', 'group.consumer.max.heartbeat.interval.ms'], doc: 'The heartbeat interval given to the members of a consumer group.' },
  { name: 'consumer.assignment.interval.ms', type: 'int', broker: null, synonym: 'group.consumer.assignment.interval.ms', fallback: '1000', range: [0, 15000], doc: 'The interval between assignment updates for a consumer group.' },
  { name: 'share.session.timeout.ms', type: 'int', broker: 'group.share.session.timeout.ms', fallback: '45000', range: ['group.share.min.session.timeout.ms', 'group.share.max.session.timeout.ms'], doc: 'The timeout to detect client failures when using the share group protocol.' },
  { name: 'share.heartbeat.interval.ms', type: 'int', broker: 'group.share.heartbeat.interval.ms', fallback: '5000', range: ['group.share.min.heartbeat.interval.ms', 'group.share.max.heartbeat.interval.ms'], doc: 'The heartbeat interval given to the members of a share group.' },
  { name: 'share.record.lock.duration.ms', type: 'int', broker: 'group.share.record.lock.duration.ms', fallback: '30000', range: ['group.share.min.record.lock.duration.ms', 'group.share.max.record.lock.duration.ms'], doc: 'The record acquisition lock duration in milliseconds for share groups.' },
  { name: 'share.delivery.count.limit', type: 'int', broker: 'group.share.delivery.count.limit', fallback: '5', atLeast: 2, range: ['group.share.min.delivery.count.limit', 'group.share.max.delivery.count.limit'], doc: 'The maximum number of delivery attempts for a record delivered to a share group.' },
  { name: 'share.partition.max.record.locks', type: 'int', broker: 'group.share.partition.max.record.locks', fallback: '2000', atLeast: 100, range: ['group.share.min.partition.max.record.locks', 'group.share.max.partition.max.record.locks'], doc: 'Share-group record lock limit per share-partition.' },
  { name: 'share.assignment.interval.ms', type: 'int', broker: null, synonym: 'group.share.assignment.interval.ms', fallback: '1000', range: [0, 15000], doc: 'The interval between assignment updates for a share group.' },
  { name: 'share.auto.offset.reset', type: 'string', broker: 'runnel.group.share.auto.offset.reset', fallback: 'latest', check: resetCheck, doc: 'The strategy to initialize the share-partition start offset. <ul><li>earliest: automatically reset the offset to the earliest offset</li><li>latest: automatically reset the offset to the latest offset</li><li>by_duration:&lt;duration&gt;: automatically reset the offset to a configured duration from the current timestamp. &lt;duration&gt; must be specified in ISO8601 format (PnDTnHnMn.nS). Negative duration is not allowed.</li><li>anything else: throw exception to the share consumer.</li></ul>' },
  { name: 'share.isolation.level', type: 'string', broker: null, fallback: 'read_uncommitted', oneOf: ['read_committed', 'read_uncommitted'], doc: 'Controls how to read records written transactionally. If set to "read_committed", the share group will only deliver transactional records which have been committed. If set to "read_uncommitted", the share group will return all messages, even transactional messages which have been aborted. Non-transactional records will be returned unconditionally in either mode.' },
  { name: 'share.renew.acknowledge.enable', type: 'boolean', broker: null, fallback: 'true', doc: 'Whether the renew acknowledge type is enabled for the share group.' },
  { name: 'errors.deadletterqueue.topic.name', type: 'string', broker: null, fallback: '', check: (v) => (v.startsWith('__') ? "DLQ topic name must not start with '__'" : null), doc: 'The name of the topic to be used as the dead-letter queue (DLQ) topic for this share group. If blank (the default), the group does not have a DLQ topic.' },
  { name: 'errors.deadletterqueue.copy.record.enable', type: 'boolean', broker: null, fallback: 'false', doc: 'When writing onto the dead-letter queue topic, whether to copy the original record onto the DLQ topic, or just write a record containing the context information headers.' },
  { name: 'streams.session.timeout.ms', type: 'int', broker: null, synonym: 'group.streams.session.timeout.ms', fallback: '45000', range: [45000, 60000], doc: 'The timeout to detect client failures when using the streams group protocol.' },
  { name: 'streams.heartbeat.interval.ms', type: 'int', broker: null, synonym: 'group.streams.heartbeat.interval.ms', fallback: '5000', range: [5000, 15000], doc: 'The heartbeat interval given to the members.' },
  { name: 'streams.num.standby.replicas', type: 'int', broker: null, synonym: 'group.streams.num.standby.replicas', fallback: '0', atLeast: 0, range: [0, 2], doc: 'The number of standby replicas for each task.' },
  { name: 'streams.initial.rebalance.delay.ms', type: 'int', broker: null, synonym: 'group.streams.initial.rebalance.delay.ms', fallback: '3000', atLeast: 0, doc: 'The amount of time the group coordinator will wait for more streams clients to join a new group before performing the first rebalance. A longer delay means potentially fewer rebalances.' },
  { name: 'streams.assignment.interval.ms', type: 'int', broker: null, synonym: 'group.streams.assignment.interval.ms', fallback: '1000', range: [0, 15000], doc: 'The interval between assignment updates for a streams group.' },
  { name: 'streams.assignor.name', type: 'string', broker: null, synonym: 'group.streams.assignors', fallback: 'sticky', doc: "The task assignor to use for this streams group, selected by short name from the assignors registered via the broker configuration group.streams.assignors. When unset, the group defaults to the first assignor configured in the broker's group.streams.assignors setting. Changing the assignor does not trigger a rebalance for the group; the new assignor takes effect on the next rebalance." },
  { name: 'streams.rack.aware.assignment.tags', type: 'list', broker: null, synonym: 'group.streams.rack.aware.assignment.tags', fallback: '', doc: 'List of client tag keys used to distribute standby replicas across Kafka Streams instances. When configured, and the used broker-side assignor supports it, it will make a best-effort to distribute standby tasks over each client tag dimension.' },
];

export const GROUP_CONFIG_BY_NAME: ReadonlyMap<string, GroupConfigDef> = new Map(GROUP_CONFIGS.map((d) => [d.name, d]));

const str = (v: unknown): string => (Array.isArray(v) ? v.join(',') : v === null || v === undefined ? '' : String(v));

/** The value a group has when it sets nothing: the broker key's value, else Kafka's default. */
export function groupConfigDefault(def: GroupConfigDef, broker: ConfigView): string {
  if (def.broker === null) return def.fallback;
  const v = broker.get(def.broker);
  return v === null || v === undefined ? def.fallback : str(v);
}

/** Kafka's refusal of `value` for `def` (InvalidConfigurationException's message), or null. */
export function groupConfigProblem(def: GroupConfigDef, value: string, broker: ConfigView): string | null {
  const invalid = (why: string) => `Invalid value ${value} for configuration ${def.name}: ${why}`;
  if (def.type === 'int') {
    const t = value.trim();
    if (!/^-?\d+$/.test(t) || Math.abs(Number(t)) > 2147483647) return invalid('Not a number of type INT');
    const n = Number(t);
    if (def.atLeast !== undefined && n < def.atLeast) return invalid(`Value must be at least ${def.atLeast}`);
    if (def.range) {
      const [lo, hi] = def.range.map((b) => (typeof b === 'number' ? b : broker.int(b)));
      if (n < lo! || n > hi!) return `${def.name} must be in the range ${lo} to ${hi} inclusive.`;
    }
  } else if (def.type === 'boolean') {
    if (!/^(true|false)$/i.test(value.trim())) return invalid('Expected value to be either true or false');
  } else if (def.oneOf && !def.oneOf.includes(value)) {
    return invalid(`String must be one of: ${def.oneOf.join(', ')}`);
  }
  if (def.check) {
    const why = def.check(value);
    // The DLQ name check reads "<key>: <why>" in Kafka; the others "Invalid value ...: <why>".
    if (why !== null) return def.name === 'errors.deadletterqueue.topic.name' ? `${def.name}: ${why}` : invalid(why);
  }
  return null;
}

/** The effective value of `name` for a group whose overrides are `overrides`. */
export function groupConfigValue(overrides: ReadonlyMap<string, string> | undefined, name: string, broker: ConfigView): string {
  const set = overrides?.get(name);
  if (set !== undefined) return set;
  return groupConfigDefault(GROUP_CONFIG_BY_NAME.get(name)!, broker);
}
