/**
 * Broker config keys of cluster mode (docs/cluster.md: brokers that share an etcd form a cluster):
 * etcd, broker sessions, the inter-broker listener, replication and leader balancing, with Kafka's
 * names where Kafka has the setting; part of BROKER_CONFIGS (definitions.ts).
 */
import type { ConfigDef, ConfigValue } from './definitions.js';
import { SECURITY_PROTOCOLS } from './security-protocols.js';
import { atLeast } from './validators.js';

/** runnel.etcd.endpoints: http://host:port or host:port entries (etcd's gRPC client address). */
const etcdEndpoints = (v: ConfigValue) => {
  if (v === null) return null;
  if (!Array.isArray(v) || v.length === 0) return 'must be a list of http://host:port';
  for (const e of v) {
    if (/^https:\/\//i.test(e)) return `'${e}': TLS to etcd is not supported yet; use http://`;
    if (!/^(http:\/\/)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/.test(e)) return `'${e}' is not http://host:port`;
  }
  return null;
};
/** runnel.etcd.prefix: key-safe characters, no leading or trailing '/' (keys are <prefix>/...). */
const etcdPrefix = (v: ConfigValue) =>
  typeof v === 'string' && /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(v) ? null : "must be letters, digits, '.', '_', '-', in '/'-separated parts";

export const CLUSTER_CONFIGS: ConfigDef[] = [
  {
    name: 'runnel.etcd.endpoints',
    type: 'list',
    default: null,
    doc: 'Runnel: the etcd endpoints (http://host:port or host:port, comma-separated) that hold the cluster\'s membership, controller election and metadata. Unset: a single broker that talks to nothing. TLS to etcd is not supported yet.',
    validate: etcdEndpoints,
  },
  {
    name: 'runnel.etcd.prefix',
    type: 'string',
    default: 'runnel',
    doc: 'Runnel: the prefix of every key this cluster writes in etcd (<prefix>/brokers/<id>, <prefix>/topics/<name> ...), so several clusters can share one etcd.',
    validate: etcdPrefix,
  },
  {
    name: 'runnel.etcd.request.timeout.ms',
    type: 'int',
    default: 5000,
    doc: 'Runnel: the longest one etcd call (read, transaction, lease grant or revoke) may take; a slower one fails as etcd unavailable, and what needed it gets a retriable error (REQUEST_TIMED_OUT). Keep-alives use the shorter of this and broker.heartbeat.interval.ms.',
    validate: atLeast(100),
  },
  {
    name: 'runnel.etcd.max.txn.ops',
    type: 'int',
    default: 128,
    doc: 'Runnel: the most operations Runnel puts in one etcd transaction; must not exceed etcd\'s --max-txn-ops (default 128). A CreateTopics request whose topics need more (one per partition, plus one per topic) is written one topic per transaction; a topic that alone needs more is refused with POLICY_VIOLATION: raise both limits to create it.',
    validate: atLeast(4),
  },
  { name: 'broker.rack', type: 'string', default: null, doc: 'Rack of the broker, registered in the cluster: replicas of a new partition are spread over racks (rack-aware assignment, as Kafka\'s).' },
  {
    name: 'inter.broker.listener.name',
    type: 'string',
    default: null,
    doc: 'The listener other brokers use to reach this one (followers fetch from it); must be one of advertised.listeners. Unset: the listener named by security.inter.broker.protocol when that is set, else the first listener.',
  },
  {
    name: 'security.inter.broker.protocol',
    type: 'string',
    default: null,
    doc: 'Kafka\'s older way to pick the inter-broker listener: the listener whose name is this protocol (PLAINTEXT, SSL, ...). Setting it together with inter.broker.listener.name is an error, as in Kafka. Unset: inter.broker.listener.name, else the first listener (Kafka\'s default would be PLAINTEXT).',
    validate: (v) => (v === null || (typeof v === 'string' && SECURITY_PROTOCOLS.includes(v.toUpperCase())) ? null : `must be one of ${SECURITY_PROTOCOLS.join(', ')}`),
  },
  {
    name: 'broker.session.timeout.ms',
    type: 'int',
    default: 9000,
    doc: 'In a cluster: the TTL of the broker\'s etcd lease (rounded up to whole seconds). A broker whose keep-alives stop for this long is out of the cluster and its leaderships move; the broker itself stops acting as leader 1 s earlier (self-fencing). Must exceed broker.heartbeat.interval.ms by more than 1 s.',
    validate: atLeast(2000),
  },
  { name: 'broker.heartbeat.interval.ms', type: 'int', default: 2000, doc: 'In a cluster: how often the broker keeps its etcd lease alive.', validate: atLeast(100) },
  { name: 'replica.lag.time.max.ms', type: 'long', default: 30000, doc: 'In a cluster: a follower that has not caught up with the leader\'s log end for this long is removed from the ISR.', validate: atLeast(1) },
  { name: 'replica.fetch.wait.max.ms', type: 'int', default: 500, doc: 'In a cluster: the max_wait_ms of a follower\'s Fetch requests. Should stay below replica.lag.time.max.ms.', validate: atLeast(0) },
  { name: 'replica.fetch.max.bytes', type: 'int', default: 1048576, doc: 'In a cluster: the partition_max_bytes of a follower\'s Fetch requests (a larger first batch is still fetched whole).', validate: atLeast(0) },
  { name: 'replica.fetch.min.bytes', type: 'int', default: 1, doc: 'In a cluster: the min_bytes of a follower\'s Fetch requests.', validate: atLeast(1) },
  { name: 'replica.fetch.response.max.bytes', type: 'int', default: 10485760, doc: 'In a cluster: the max_bytes of a follower\'s Fetch requests (all partitions together; the first partition still gets one whole batch).', validate: atLeast(0) },
  { name: 'replica.fetch.backoff.ms', type: 'int', default: 1000, doc: 'In a cluster: how long a follower waits after a failed fetch (connection lost, or a partition answered with an error such as NOT_LEADER_OR_FOLLOWER) before fetching that leader or partition again.', validate: atLeast(0) },
  { name: 'replica.socket.timeout.ms', type: 'int', default: 30000, doc: 'In a cluster: connect and request timeout of a follower\'s connections to its leaders (on top of replica.fetch.wait.max.ms for Fetch). Should be above replica.fetch.wait.max.ms.', validate: atLeast(1) },
  { name: 'auto.leader.rebalance.enable', type: 'boolean', default: true, doc: 'In a cluster: the controller periodically moves leadership back to each partition\'s preferred (first) replica when it is in the ISR.' },
  { name: 'leader.imbalance.check.interval.seconds', type: 'long', default: 300, doc: 'In a cluster: how often the controller checks for partitions not led by their preferred replica.', validate: atLeast(1) },
  { name: 'controlled.shutdown.enable', type: 'boolean', default: true, doc: 'In a cluster: a stopping broker first asks the controller to move its leaderships away, then leaves.' },
  {
    name: 'runnel.broker.liveness.probe.enable',
    type: 'boolean',
    default: true,
    doc: 'Runnel, in a cluster: every broker keeps one idle TCP connection to each other broker\'s inter-broker listener. When it closes and two new connects 200 ms apart are refused (ECONNREFUSED: nothing listens there, the process is gone), the broker revokes that registration\'s etcd lease, so a killed broker\'s leaderships move within a second instead of after broker.session.timeout.ms. Only a broker this one has reached before is judged; timeouts and unreachable hosts (a network cut, a frozen process) are left to the session timeout. A live broker whose lease was revoked stops leading at once and registers again. Turn it off where a firewall answers with TCP resets (REJECT) between brokers.',
  },
];
