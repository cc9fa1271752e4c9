/** Broker config keys of client quotas and connection-rate limits, with Kafka's names; part of BROKER_CONFIGS (definitions.ts). */
import type { ConfigDef } from './definitions.js';
import { atLeast, between } from './validators.js';

export const QUOTA_CONFIGS: ConfigDef[] = [
  {
    name: 'quota.window.num',
    type: 'int',
    default: 11,
    doc: 'Samples kept to measure client quota rates (producer_byte_rate, consumer_byte_rate, request_percentage, connection_creation_rate). The rate is taken over the time since the oldest live sample. Kafka measures a new client over at least quota.window.num - 1 windows (a 10 s burst at first); Runnel over at least one window for client quotas (so a client is held within a few percent over any 10 s) and over window.num - 1 for connection_creation_rate / max.connection.creation.rate, as Kafka. Read at start.',
    validate: atLeast(1),
  },
  {
    name: 'quota.window.size.seconds',
    type: 'int',
    default: 1,
    doc: 'Length of one quota sample window. The longest throttle time given is quota.window.num × quota.window.size.seconds. Read at start.',
    validate: atLeast(1),
  },
  {
    name: 'max.connection.creation.rate',
    type: 'int',
    default: 2147483647,
    doc: 'New connections per second the broker accepts on its listeners other than the inter-broker one, measured over the quota window. Over it, a new connection is held (not served) for the throttle time, as Kafka\'s acceptor waits. Runnel applies it broker-wide only (Kafka also takes listener.name.<listener>.max.connection.creation.rate). Per-IP limits are client quotas: kafka-configs --entity-type ips --add-config connection_creation_rate=N; a connection over its IP\'s rate is closed after the throttle time.',
    validate: atLeast(0),
    dynamic: true,
  },
  {
    name: 'runnel.quota.max.entities',
    type: 'int',
    default: 10000,
    doc: 'Entities (user, client-id, user + client-id, ip, or their defaults) that may have client quotas at once; AlterClientQuotas adding one more fails that entry with POLICY_VIOLATION. Kafka has no such cap. Read at start.',
    validate: between(1, 1_000_000),
  },
  {
    name: 'runnel.quota.max.entity.name.length',
    type: 'int',
    default: 1024,
    doc: 'Longest user, client-id or ip name AlterClientQuotas accepts for a quota entity; a longer one fails its entry with INVALID_REQUEST. Kafka has no such cap. Read at start.',
    validate: between(1, 1_000_000),
  },
  {
    name: 'runnel.quota.max.sensors',
    type: 'int',
    default: 100000,
    doc: 'Rates tracked at once for client quotas (one per quota type and user / client id sharing it, one per IP with a connection-rate quota). When a new one would pass it, rates idle for a whole quota window are dropped, then the oldest: a client whose rate is dropped starts afresh.',
    validate: between(1, 10_000_000),
  },
];
