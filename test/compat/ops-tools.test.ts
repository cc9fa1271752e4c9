/**
 * Kafka's operations tools and admin calls that used to get their connection closed: log dirs,
 * ACLs, SASL on a PLAINTEXT listener, OffsetForLeaderEpoch (consumer position validation),
 * leader elections, partition reassignments, client quotas and SCRAM users, producer state and
 * transactions. Each is driven through Kafka's own CLI tools (4.4) and the Java AdminClient, plus
 * kafkajs and kafka-python where they expose the API, and the assertions are on what the tools
 * print — the same output a single-node Apache Kafka without authorizer, SASL or quotas gives
 * (checked against scripts/reference-kafka.sh; the expected texts below are Kafka's).
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { removeDir, startTestBroker, tempDir, type TestBroker } from '../helpers/broker.js';
import { python } from '../helpers/clients.js';
import { ensureJavaBuilt, runJava, runJavaOk, runKafkaTool, type JavaResult } from '../helpers/java.js';
import { KafkaProxy } from '../helpers/proxy.js';
import { RawClient } from '../helpers/raw-client.js';
import { freePort } from '../../bench/data-path/clients.js';
import { API_CODECS } from '../../protocol/generated/index.js';
import { readResponseHeader, responseHeaderFlexible } from '../../protocol/headers.js';
import { Reader } from '../../protocol/primitives.js';
import { ErrorCode } from '../../protocol/errors.js';

const TOPIC = 'ops';
const RECORDS_P0 = 20;

let broker: TestBroker;
let b: string;

function kafkajs(bootstrap: string, extra: object = {}): Kafka {
  return new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, ...extra });
}

/** stdout and stderr of a tool run, without the JVM's SLF4J chatter. */
function output(r: JavaResult): string {
  return (r.stdout + r.stderr)
    .split('\n')
    .filter((l) => !l.startsWith('SLF4J'))
    .join('\n');
}

function stdoutLines(r: JavaResult): string[] {
  return r.stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('SLF4J'));
}

/** Sum of a partition's segment files on disk. */
function segmentBytes(dataDir: string, topic: string, partition: number): number {
  const dir = join(dataDir, `${topic}-${partition}`);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

beforeAll(async () => {
  await ensureJavaBuilt();
  broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
  b = broker.bootstrap;
  await runJavaOk('Admin', ['create-topics', '--bootstrap', b, '--topic', TOPIC, '--partitions', '2']);
  // An idempotent (Java default) producer, all to partition 0: sequences 0..RECORDS_P0-1.
  const produced = await runJavaOk('Produce', ['--bootstrap', b, '--topic', TOPIC, '--partition', '0', '--count', String(RECORDS_P0), '--value-size', '100']);
  expect(produced.acked).toBe(RECORDS_P0);
  const p = kafkajs(b).producer();
  await p.connect();
  await p.send({ topic: TOPIC, messages: [{ partition: 1, value: 'x' }, { partition: 1, value: 'y' }] });
  await p.disconnect();
}, 300_000);
afterAll(async () => {
  await broker?.cleanup();
});

describe('DescribeLogDirs', () => {
  it('kafka-log-dirs --describe shows the data dir and each partition with its size on disk', async () => {
    const r = await runKafkaTool('LogDirsCommand', ['--bootstrap-server', b, '--describe']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Received log directory information from brokers 1');
    const json = JSON.parse(stdoutLines(r).find((l) => l.startsWith('{'))!);
    expect(json.version).toBe(1);
    expect(json.brokers).toHaveLength(1);
    expect(json.brokers[0].broker).toBe(1);
    const dir = json.brokers[0].logDirs[0];
    expect(json.brokers[0].logDirs).toHaveLength(1);
    expect(dir.logDir).toBe(broker.broker.dataDir);
    expect(dir.error).toBeNull();
    const parts = Object.fromEntries((dir.partitions as Array<{ partition: string; size: number; offsetLag: number; isFuture: boolean }>).map((p) => [p.partition, p]));
    for (const p of [0, 1]) {
      expect(parts[`${TOPIC}-${p}`]).toEqual({ partition: `${TOPIC}-${p}`, size: segmentBytes(broker.dataDir, TOPIC, p), offsetLag: 0, isFuture: false });
    }
    expect(parts[`${TOPIC}-0`].size).toBeGreaterThan(RECORDS_P0 * 100);

    const only = await runKafkaTool('LogDirsCommand', ['--bootstrap-server', b, '--describe', '--topic-list', `${TOPIC},nope`]);
    const onlyJson = JSON.parse(stdoutLines(only).find((l) => l.startsWith('{'))!);
    expect(onlyJson.brokers[0].logDirs[0].partitions.map((p: { partition: string }) => p.partition).sort()).toEqual([`${TOPIC}-0`, `${TOPIC}-1`]);
  });

  it('AdminClient.describeLogDirs reports volume total and usable bytes (v4) and describeReplicaLogDirs the dir', async () => {
    const r = await runJavaOk('Admin', ['describe-log-dirs', '--bootstrap', b]);
    const dir = r.brokers['1'][broker.broker.dataDir];
    expect(dir.error).toBeNull();
    expect(dir.totalBytes).toBeGreaterThan(0);
    expect(dir.usableBytes).toBeGreaterThan(0);
    expect(dir.usableBytes).toBeLessThanOrEqual(dir.totalBytes);
    expect(dir.replicas[`${TOPIC}-0`]).toEqual({ size: segmentBytes(broker.dataDir, TOPIC, 0), offsetLag: 0, isFuture: false });
    const replica = await runJavaOk('Admin', ['describe-replica-log-dirs', '--bootstrap', b, '--topic', TOPIC, '--partition', '0']);
    expect(replica).toMatchObject({ logDir: broker.broker.dataDir, offsetLag: 0, futureLogDir: null });
  });
});

describe('ACLs without an authorizer', () => {
  it('kafka-acls --list / --add / --remove fail with SecurityDisabledException and Kafka\'s messages', async () => {
    const list = await runKafkaTool('AclCommand', ['--bootstrap-server', b, '--list']);
    expect(list.code).toBe(1);
    expect(output(list)).toContain('Error while executing ACL command: org.apache.kafka.common.errors.SecurityDisabledException: No Authorizer is configured on the broker');
    const add = await runKafkaTool('AclCommand', ['--bootstrap-server', b, '--add', '--allow-principal', 'User:alice', '--operation', 'Read', '--topic', TOPIC]);
    expect(add.code).toBe(1);
    expect(output(add)).toContain('SecurityDisabledException: No Authorizer is configured');
    const remove = await runKafkaTool('AclCommand', ['--bootstrap-server', b, '--remove', '--force', '--topic', TOPIC]);
    expect(remove.code).toBe(1);
    expect(output(remove)).toContain('SecurityDisabledException: No Authorizer is configured.');
  });

  it('AdminClient describe/create/deleteAcls get SECURITY_DISABLED', async () => {
    const described = await runJava('Admin', ['describe-acls', '--bootstrap', b]);
    expect(described.json.error).toEqual({ class: 'SecurityDisabledException', message: 'No Authorizer is configured on the broker' });
    const created = await runJavaOk('Admin', ['create-acls', '--bootstrap', b, '--topic', TOPIC, '--principal', 'User:alice']);
    expect(Object.values(created.acls)).toEqual([{ error: { class: 'SecurityDisabledException', message: 'No Authorizer is configured.' } }]);
    const deleted = await runJavaOk('Admin', ['delete-acls', '--bootstrap', b]);
    expect(Object.values(deleted.filters)).toEqual([{ error: { class: 'SecurityDisabledException', message: 'No Authorizer is configured.' } }]);
  });

  it('kafkajs and kafka-python see SECURITY_DISABLED; kafka-python infers broker 2.5 from DescribeAcls v2+', async () => {
    const admin = kafkajs(b).admin();
    await admin.connect();
    try {
      const any = { resourceType: 1, resourcePatternType: 1, operation: 1, permissionType: 1 } as never;
      await expect(admin.describeAcls(any)).rejects.toMatchObject({ type: 'SECURITY_DISABLED' });
      const acl = { resourceType: 2, resourceName: TOPIC, resourcePatternType: 3, principal: 'User:a', host: '*', operation: 3, permissionType: 3 };
      await expect(admin.createAcls({ acl: [acl] as never })).rejects.toMatchObject({ type: 'SECURITY_DISABLED' });
      await expect(admin.deleteAcls({ filters: [any] })).rejects.toMatchObject({ type: 'SECURITY_DISABLED' });
    } finally {
      await admin.disconnect();
    }
    const py = await python<Record<string, unknown>>('ops_admin.py', { bootstrap: b });
    expect(py).toEqual({
      api_version: [2, 5, 0],
      describe_acls: { error: 'SecurityDisabledError', errno: 54 },
      create_acls: { succeeded: 0, failed: ['SecurityDisabledError'] },
      delete_acls: ['SecurityDisabledError'],
    });
  });
});

describe('SASL on a PLAINTEXT listener', () => {
  it('a SASL_PLAINTEXT Java client fails the handshake as against Kafka; kafkajs gets ILLEGAL_SASL_STATE', async () => {
    const r = await runJava('Admin', [
      'list-topics', '--bootstrap', b, '--timeout-ms', '15000',
      '--prop', 'security.protocol=SASL_PLAINTEXT', '--prop', 'sasl.mechanism=PLAIN',
      '--prop', 'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";',
      '--prop', 'default.api.timeout.ms=15000', '--prop', 'request.timeout.ms=10000',
    ]);
    expect(r.code).toBe(1);
    expect(r.json.error).toEqual({ class: 'IllegalSaslStateException', message: 'Unexpected handshake request with client mechanism PLAIN, enabled mechanisms are []' });

    const admin = kafkajs(b, { sasl: { mechanism: 'plain', username: 'u', password: 'p' } }).admin();
    await expect(admin.connect()).rejects.toMatchObject({ type: 'ILLEGAL_SASL_STATE' });
    await admin.disconnect().catch(() => undefined);
  });

  it('answers SaslHandshake and SaslAuthenticate with ILLEGAL_SASL_STATE and keeps the connection', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    try {
      for (const v of [0, 1]) expect(await c.request(17, v, { mechanism: 'PLAIN' })).toEqual({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] });
      for (const v of [0, 1, 2]) {
        const res = await c.request(36, v, { authBytes: Buffer.from('\0u\0p') });
        expect(res).toMatchObject({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate request received after successful authentication', sessionLifetimeMs: 0 });
        expect(res.authBytes.length).toBe(0);
      }
      const versions = await c.request(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
      expect(versions.errorCode).toBe(ErrorCode.NONE);
    } finally {
      c.close();
    }
  });
});

/** The OffsetForLeaderEpoch responses a proxy recorded, decoded. */
function leaderEpochResponses(proxy: KafkaProxy): any[] {
  const codec = API_CODECS.get(23)!;
  return proxy.framesOf({ apiKey: 23, direction: 'response' }).map((f) => {
    const r = new Reader(f.payload);
    readResponseHeader(r, responseHeaderFlexible(23, f.apiVersion >= codec.flexibleFrom));
    return codec.decodeResponse(r, f.apiVersion);
  });
}

describe('OffsetForLeaderEpoch', () => {
  it('a Java consumer validates its committed position after a broker restart and resumes there', async () => {
    const proxy = new KafkaProxy();
    await proxy.start();
    const port = await freePort();
    proxy.setUpstream('127.0.0.1', port);
    const dataDir = tempDir('ofle');
    const config = { 'advertised.listeners': `PLAINTEXT://${proxy.bootstrap}`, 'group.initial.rebalance.delay.ms': 0 };
    const topic = 'resume-epoch';
    try {
      const first = await startTestBroker({ port, dataDir, keepData: true, config });
      try {
        await runJavaOk('Produce', ['--bootstrap', proxy.bootstrap, '--topic', topic, '--count', '10']);
        const before = await runJavaOk('Consume', ['--bootstrap', proxy.bootstrap, '--topic', topic, '--group', 'epoch-group', '--from-beginning', '--max', '10', '--commit', '--timeout-ms', '30000']);
        expect(before.count).toBe(10);
      } finally {
        await first.cleanup();
      }
      const second = await startTestBroker({ port, dataDir, keepData: true, config });
      try {
        await runJavaOk('Produce', ['--bootstrap', proxy.bootstrap, '--topic', topic, '--count', '5']);
        proxy.clear();
        const after = await runJavaOk('Consume', ['--bootstrap', proxy.bootstrap, '--topic', topic, '--group', 'epoch-group', '--max', '5', '--commit', '--timeout-ms', '30000']);
        expect(after.count).toBe(5);
        expect(after.partitions[`${topic}-0`]).toMatchObject({ count: 5, first: 10, last: 14 });
        // The consumer checked its committed position (offset 10, epoch 0) with the leader.
        const requests = proxy.framesOf({ apiKey: 23, direction: 'request' });
        expect(requests.length).toBeGreaterThan(0);
        expect(requests.every((f) => f.apiVersion >= 3)).toBe(true);
        const partitions = leaderEpochResponses(proxy).flatMap((res) => res.topics.flatMap((t: any) => t.partitions));
        expect(partitions).toContainEqual({ errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 15 });
      } finally {
        await second.cleanup();
      }
    } finally {
      await proxy.stop();
      removeDir(dataDir);
    }
  }, 180_000);

  it('librdkafka (confluent-kafka-python) resumes at its committed offsets after a restart; any validation it sends succeeds', async () => {
    const proxy = new KafkaProxy();
    await proxy.start();
    const port = await freePort();
    proxy.setUpstream('127.0.0.1', port);
    const dataDir = tempDir('ofle-rdk');
    const config = { 'advertised.listeners': `PLAINTEXT://${proxy.bootstrap}`, 'group.initial.rebalance.delay.ms': 0 };
    const args = { bootstrap: proxy.bootstrap, topic: 'resume-rdk', group: 'rdk-group' };
    try {
      const first = await startTestBroker({ port, dataDir, keepData: true, config });
      try {
        expect((await python<{ offsets: number[] }>('ck_resume.py', { ...args, produce: 10, max: 6 })).offsets).toEqual([0, 1, 2, 3, 4, 5]);
      } finally {
        await first.cleanup();
      }
      const second = await startTestBroker({ port, dataDir, keepData: true, config });
      try {
        proxy.clear();
        const after = await python<{ librdkafka: string; offsets: number[] }>('ck_resume.py', { ...args, max: 4 });
        expect(after.offsets).toEqual([6, 7, 8, 9]);
        // librdkafka 2.0.2 (Debian 12) predates KIP-320 and sends none; newer ones validate first.
        const partitions = leaderEpochResponses(proxy).flatMap((res) => res.topics.flatMap((t: any) => t.partitions));
        for (const p of partitions) expect(p).toEqual({ errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 10 });
      } finally {
        await second.cleanup();
      }
    } finally {
      await proxy.stop();
      removeDir(dataDir);
    }
  }, 180_000);

  it('a committed offset past the end of the log is detected as truncation (LogTruncationException)', async () => {
    const topic = 'truncated';
    await runJavaOk('Admin', ['create-topics', '--bootstrap', b, '--topic', topic, '--partitions', '1']);
    await runJavaOk('Produce', ['--bootstrap', b, '--topic', topic, '--count', '10']);
    await runJavaOk('Admin', ['alter-group-offsets', '--bootstrap', b, '--group', 'trunc-group', '--topic', topic, '--partition', '0', '--offset', '1000', '--leader-epoch', '0']);
    const r = await runJava('Consume', ['--bootstrap', b, '--topic', topic, '--group', 'trunc-group', '--max', '1', '--timeout-ms', '20000', '--prop', 'auto.offset.reset=none']);
    expect(r.json.error).toEqual({
      class: 'LogTruncationException',
      message: `Truncated partitions detected with divergent offsets {${topic}-0=OffsetAndMetadata{offset=10, leaderEpoch=0, metadata=''}}`,
    });
  }, 120_000);

  it('answers each epoch case as Kafka does', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    const ask = async (v: number, currentLeaderEpoch: number, leaderEpoch: number, partition = 0, topic = TOPIC) => {
      const res = await c.request(23, v, { replicaId: -1, topics: [{ topic, partitions: [{ partition, currentLeaderEpoch, leaderEpoch }] }] });
      return res.topics[0].partitions[0];
    };
    try {
      const end = RECORDS_P0;
      for (const v of [0, 1, 2, 3, 4]) {
        expect(await ask(v, -1, 0)).toEqual({ errorCode: 0, partition: 0, leaderEpoch: v >= 1 ? 0 : -1, endOffset: end });
        expect(await ask(v, -1, 3)).toEqual({ errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: -1 });
        expect(await ask(v, -1, -1)).toEqual({ errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: -1 });
        expect(await ask(v, -1, 0, 7)).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, endOffset: -1 });
        expect(await ask(v, -1, 0, 0, 'nope')).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, endOffset: -1 });
      }
      expect(await ask(4, 0, 0)).toEqual({ errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: end });
      expect(await ask(4, 1, 0)).toEqual({ errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, partition: 0, leaderEpoch: -1, endOffset: -1 });
      expect(await ask(4, -2, 0)).toEqual({ errorCode: ErrorCode.FENCED_LEADER_EPOCH, partition: 0, leaderEpoch: -1, endOffset: -1 });
      expect(await ask(4, -1, -2)).toEqual({ errorCode: 0, partition: 0, leaderEpoch: -2, endOffset: 0 });
      // v0-1 have no current epoch: not checked.
      expect(await ask(1, 1, 0)).toEqual({ errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: end });
    } finally {
      c.close();
    }
  });
});

describe('kafka-leader-election', () => {
  it('reports that no election is needed, and unknown partitions', async () => {
    const all = await runKafkaTool('LeaderElectionCommand', ['--bootstrap-server', b, '--election-type', 'preferred', '--all-topic-partitions']);
    expect(all.code).toBe(0);
    expect(stdoutLines(all)).toEqual([]);
    const one = await runKafkaTool('LeaderElectionCommand', ['--bootstrap-server', b, '--election-type', 'unclean', '--topic', TOPIC, '--partition', '0']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(`Valid replica already elected for partitions ${TOPIC}-0`);
    const unknown = await runKafkaTool('LeaderElectionCommand', ['--bootstrap-server', b, '--election-type', 'preferred', '--topic', 'nope', '--partition', '0']);
    expect(unknown.code).toBe(1);
    expect(output(unknown)).toContain('Error completing leader election (PREFERRED) for partition: nope-0: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: No such topic as nope');
    expect(output(unknown)).toContain('1 replica(s) could not be elected');

    const admin = await runJavaOk('Admin', ['elect-leaders', '--bootstrap', b, '--topic', TOPIC, '--partition', '0,1,9']);
    expect(admin.partitions).toEqual({
      [`${TOPIC}-0`]: { error: { class: 'ElectionNotNeededException', message: 'Leader election not needed for topic partition.' } },
      [`${TOPIC}-1`]: { error: { class: 'ElectionNotNeededException', message: 'Leader election not needed for topic partition.' } },
      [`${TOPIC}-9`]: { error: { class: 'UnknownTopicOrPartitionException', message: `No such partition as ${TOPIC}-9` } },
    });
    expect((await runJavaOk('Admin', ['elect-leaders', '--bootstrap', b])).partitions).toEqual({});
  });
});

describe('kafka-reassign-partitions', () => {
  it('--list, --verify, --execute and --cancel with the only possible assignment; other brokers are refused', async () => {
    const list = await runKafkaTool('ReassignPartitionsCommand', ['--bootstrap-server', b, '--list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('No partition reassignments found.');

    const dir = tempDir('reassign');
    try {
      const same = join(dir, 'same.json');
      const other = join(dir, 'other.json');
      writeFileSync(same, JSON.stringify({ version: 1, partitions: [{ topic: TOPIC, partition: 0, replicas: [1] }] }));
      writeFileSync(other, JSON.stringify({ version: 1, partitions: [{ topic: TOPIC, partition: 0, replicas: [2] }] }));

      const verify = await runKafkaTool('ReassignPartitionsCommand', ['--bootstrap-server', b, '--verify', '--reassignment-json-file', same]);
      expect(verify.code).toBe(0);
      expect(verify.stdout).toContain(`Reassignment of partition ${TOPIC}-0 is completed.`);
      expect(verify.stdout).toContain(`Clearing topic-level throttles on topic ${TOPIC}`);

      const execute = await runKafkaTool('ReassignPartitionsCommand', ['--bootstrap-server', b, '--execute', '--reassignment-json-file', same]);
      expect(execute.code).toBe(0);
      expect(execute.stdout).toContain(JSON.stringify({ version: 1, partitions: [{ topic: TOPIC, partition: 0, replicas: [1], log_dirs: [broker.broker.dataDir] }] }));
      expect(execute.stdout).toContain(`Successfully started partition reassignment for ${TOPIC}-0`);

      const refused = await runKafkaTool('ReassignPartitionsCommand', ['--bootstrap-server', b, '--execute', '--reassignment-json-file', other]);
      expect(refused.code).toBe(1);
      expect(output(refused)).toContain('Error: Unknown broker id 2');

      const cancel = await runKafkaTool('ReassignPartitionsCommand', ['--bootstrap-server', b, '--cancel', '--reassignment-json-file', same]);
      expect(cancel.code).toBe(0);
      expect(cancel.stdout).toContain('None of the specified partition reassignments are active.');
    } finally {
      removeDir(dir);
    }
  });

  it('AdminClient and kafkajs: the current assignment is a no-op, anything else Kafka\'s error', async () => {
    expect(await runJavaOk('Admin', ['alter-reassignments', '--bootstrap', b, '--topic', TOPIC, '--partition', '0', '--replicas', '1'])).toMatchObject({ partitions: { [`${TOPIC}-0`]: 'ok' } });
    const two = await runJavaOk('Admin', ['alter-reassignments', '--bootstrap', b, '--topic', TOPIC, '--partition', '0', '--replicas', '1,2']);
    expect(two.partitions[`${TOPIC}-0`].error).toEqual({ class: 'InvalidReplicaAssignmentException', message: 'The manual partition assignment includes broker 2, but no such broker is registered.' });
    const cancel = await runJavaOk('Admin', ['alter-reassignments', '--bootstrap', b, '--topic', TOPIC, '--partition', '0', '--cancel']);
    expect(cancel.partitions[`${TOPIC}-0`].error).toEqual({ class: 'NoReassignmentInProgressException', message: 'No partition reassignment is in progress.' });
    const unknown = await runJavaOk('Admin', ['alter-reassignments', '--bootstrap', b, '--topic', TOPIC, '--partition', '5', '--replicas', '1']);
    expect(unknown.partitions[`${TOPIC}-5`].error).toEqual({ class: 'UnknownTopicOrPartitionException', message: `Unable to find partition ${TOPIC}:5.` });
    expect(await runJavaOk('Admin', ['list-reassignments', '--bootstrap', b])).toMatchObject({ reassignments: {} });

    const admin = kafkajs(b).admin();
    await admin.connect();
    try {
      expect(await admin.listPartitionReassignments({})).toEqual({ topics: [] });
      await admin.alterPartitionReassignments({ topics: [{ topic: TOPIC, partitionAssignment: [{ partition: 0, replicas: [1] }] }] });
      await expect(admin.alterPartitionReassignments({ topics: [{ topic: TOPIC, partitionAssignment: [{ partition: 0, replicas: [2] }] }] })).rejects.toMatchObject({
        name: 'KafkaJSAggregateError',
      });
    } finally {
      await admin.disconnect();
    }
  });
});

describe('kafka-configs for users, clients and ips', () => {
  it('describes no quotas and no SCRAM credentials, as Kafka without any', async () => {
    const entities = [
      ['--entity-type', 'users'],
      ['--entity-type', 'users', '--entity-name', 'alice'],
      ['--entity-type', 'users', '--entity-default'],
      ['--entity-type', 'clients'],
      ['--entity-type', 'clients', '--entity-name', 'c1'],
      ['--entity-type', 'ips'],
    ];
    for (const args of entities) {
      const r = await runKafkaTool('ConfigCommand', ['--bootstrap-server', b, '--describe', ...args]);
      expect(r.code, args.join(' ') + '\n' + output(r)).toBe(0);
      expect(stdoutLines(r), args.join(' ')).toEqual([]);
    }
    expect(await runJavaOk('Admin', ['describe-client-quotas', '--bootstrap', b])).toMatchObject({ entities: [] });
    expect(await runJavaOk('Admin', ['describe-scram', '--bootstrap', b])).toMatchObject({ users: {} });
    const named = await runJavaOk('Admin', ['describe-scram', '--bootstrap', b, '--user', 'alice']);
    expect(named.users.alice.error).toEqual({ class: 'ResourceNotFoundException', message: 'Attempt to describe a user credential that does not exist: alice' });
  });

  it('validates quota filters with Kafka\'s errors, and reports duplicate SCRAM users', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    try {
      const quotas = (components: object[]) => c.request(48, 1, { components, strict: false });
      expect(await quotas([{ entityType: 'user', matchType: 2, match: null }])).toEqual({ throttleTimeMs: 0, errorCode: 0, errorMessage: '', entries: [] });
      expect(await quotas([{ entityType: 'bogus', matchType: 0, match: 'x' }])).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: 'Unsupported entity type bogus', entries: null });
      expect(await quotas([{ entityType: 'user', matchType: 0, match: null }])).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Request specified MATCH_TYPE_EXACT, but set match string to null.' });
      expect(await quotas([{ entityType: 'ip', matchType: 2, match: null }, { entityType: 'user', matchType: 2, match: null }])).toMatchObject({
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: 'Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.',
      });
      const scram = await c.request(50, 0, { users: [{ name: 'a' }, { name: 'b' }, { name: 'a' }] });
      expect(scram.results.map((r: any) => [r.user, r.errorCode])).toEqual([
        ['a', ErrorCode.DUPLICATE_RESOURCE],
        ['b', ErrorCode.RESOURCE_NOT_FOUND],
      ]);
    } finally {
      c.close();
    }
  });
});

describe('kafka-transactions', () => {
  it('describe-producers and find-hanging show the idempotent producer state', async () => {
    const r = await runKafkaTool('TransactionsCommand', ['--bootstrap-server', b, 'describe-producers', '--topic', TOPIC, '--partition', '0']);
    expect(r.code).toBe(0);
    const [header, ...rows] = stdoutLines(r);
    expect(header!.split('\t').map((s) => s.trim()).filter(Boolean)).toEqual(['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset']);
    expect(rows).toHaveLength(1);
    const [pid, epoch, coordinatorEpoch, lastSeq, lastTs, txnStart] = rows[0]!.split('\t').map((s) => s.trim());
    expect(Number(pid)).toBeGreaterThanOrEqual(0);
    expect([epoch, coordinatorEpoch, lastSeq, txnStart]).toEqual(['0', '-1', String(RECORDS_P0 - 1), 'None']);
    expect(Math.abs(Number(lastTs) - Date.now())).toBeLessThan(10 * 60_000);

    const admin = await runJavaOk('Admin', ['describe-producers', '--bootstrap', b, '--topic', TOPIC, '--partition', '0,1']);
    expect(admin.partitions[`${TOPIC}-0`]).toEqual([{ producerId: Number(pid), producerEpoch: 0, lastSequence: RECORDS_P0 - 1, lastTimestamp: Number(lastTs), coordinatorEpoch: null, currentTxnStartOffset: null }]);
    expect(admin.partitions[`${TOPIC}-1`]).toEqual([]); // kafkajs' default producer is not idempotent

    const hanging = await runKafkaTool('TransactionsCommand', ['--bootstrap-server', b, 'find-hanging', '--broker-id', '1']);
    expect(hanging.code).toBe(0);
    expect(stdoutLines(hanging)).toHaveLength(1); // the header only
  });

  it('list and describe show transactional ids in the Empty state after InitProducerId; unknown ids are not found', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    let producerId: number;
    try {
      const init = await c.request(22, 4, { transactionalId: 'ops-txn', transactionTimeoutMs: 45000, producerId: -1, producerEpoch: -1 });
      expect(init.errorCode).toBe(0);
      producerId = init.producerId;
    } finally {
      c.close();
    }
    const list = await runKafkaTool('TransactionsCommand', ['--bootstrap-server', b, 'list']);
    expect(list.code).toBe(0);
    const rows = stdoutLines(list).map((l) => l.split('\t').map((s) => s.trim()).filter(Boolean));
    expect(rows).toEqual([
      ['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'],
      ['ops-txn', '1', String(producerId), 'Empty'],
    ]);
    const describeTxn = await runKafkaTool('TransactionsCommand', ['--bootstrap-server', b, 'describe', '--transactional-id', 'ops-txn']);
    expect(describeTxn.code).toBe(0);
    const [, row] = stdoutLines(describeTxn).map((l) => l.split('\t').map((s) => s.trim()));
    expect(row!.slice(0, 8)).toEqual(['1', 'ops-txn', String(producerId), '0', 'Empty', '45000', 'None', 'None']);
    const missing = await runKafkaTool('TransactionsCommand', ['--bootstrap-server', b, 'describe', '--transactional-id', 'nope']);
    expect(missing.code).toBe(1);
    expect(output(missing)).toContain('DescribeTransactions request for transactionalId `nope` failed because the ID could not be found');

    expect(await runJavaOk('Admin', ['list-transactions', '--bootstrap', b, '--state', 'Ongoing'])).toMatchObject({ transactions: {} });
    const described = await runJavaOk('Admin', ['describe-transactions', '--bootstrap', b, '--id', 'ops-txn']);
    expect(described.transactions['ops-txn']).toEqual({ coordinatorId: 1, state: 'Empty', producerId, producerEpoch: 0, timeoutMs: 45000, startTimeMs: null, topicPartitions: [] });
  });
});
