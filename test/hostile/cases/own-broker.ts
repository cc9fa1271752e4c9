/**
 * Attacks that destroy state, each on a broker of its own: partition counts of 2^31-1, topic
 * creation racing deletion, the data-directory lock, a topic's lifecycle across a restart,
 * Produce into and DeleteTopics of the internal topics, and Metadata auto-creating internal or
 * 1,000 topics.
 */
import { readdirSync } from 'node:fs';
import { it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import {
  newCreatePartitionsRequestTopic,
  newCreateTopicsRequestTopic,
  newDescribeConfigsRequestResource,
  newMetadataRequestTopic,
} from '../../../protocol/generated/index.js';
import { HostileBroker, KafkaPair, Session, sleep, withTimeout } from '../harness.js';
import { removeDir, tempDir } from '../../helpers/broker.js';
import { RawClient, roundTrip } from '../frames.js';
import { buildBatchSync, noise } from '../batches.js';
import { createTopic, expectHealthy, kafka, produceBatch } from './common.js';

/** Registers the destructive cases; each opens and closes its own Session. */
export function ownBrokerAttacks(): void {
  it('CreateTopics and CreatePartitions with 2^31-1 partitions', async () => {
    const s = await Session.open();
    try {
      const r = await s.attack('2^31-1 partitions', async ({ broker }) => {
        const problems: string[] = [];
        const res = await withTimeout(
          roundTrip(broker.host, broker.port, 19, 5, { topics: [newCreateTopicsRequestTopic({ name: 'hostile-huge', numPartitions: 0x7fffffff, replicationFactor: 1 })], timeoutMs: 5000 }, 10_000),
          10_000,
          'CreateTopics with 2^31-1 partitions',
        );
        if (!res || res.topics[0].errorCode === ErrorCode.NONE) problems.push(`CreateTopics with 2^31-1 partitions: error ${res?.topics[0].errorCode}, expected one`);
        await createTopic(broker.host, broker.port, 'hostile-grow');
        const grow = await withTimeout(
          roundTrip(broker.host, broker.port, 37, 1, { topics: [newCreatePartitionsRequestTopic({ name: 'hostile-grow', count: 0x7fffffff, assignments: null })], timeoutMs: 5000 }, 10_000),
          10_000,
          'CreatePartitions to 2^31-1',
        );
        if (!grow || grow.results[0].errorCode === ErrorCode.NONE) problems.push(`CreatePartitions to 2^31-1: error ${grow?.results[0].errorCode}, expected one`);
        return problems;
      });
      expectHealthy(r);
    } finally {
      await s.close();
    }
  });

  it('CreateTopics and CreatePartitions racing DeleteTopics leave no orphans (found by the fuzzer)', async () => {
    const s = await Session.open({ pair: false });
    try {
      const r = await s.attack('topic create/grow racing delete', async ({ broker }) => {
        const problems: string[] = [];
        const { host, port } = broker;
        const create = roundTrip(host, port, 19, 5, { topics: [newCreateTopicsRequestTopic({ name: 'hostile-race-create', numPartitions: 200, replicationFactor: 1 })], timeoutMs: 30_000 }, 30_000);
        await sleep(30);
        const del = roundTrip(host, port, 20, 4, { topicNames: ['hostile-race-create'], timeoutMs: 5000 });
        await Promise.all([create, del]);
        await createTopic(host, port, 'hostile-race-grow');
        const grow = roundTrip(host, port, 37, 1, { topics: [newCreatePartitionsRequestTopic({ name: 'hostile-race-grow', count: 200, assignments: null })], timeoutMs: 30_000 }, 30_000);
        await sleep(30);
        const del2 = roundTrip(host, port, 20, 4, { topicNames: ['hostile-race-grow'], timeoutMs: 5000 });
        const [g] = await Promise.all([grow, del2]);
        if (g?.results[0].errorCode === ErrorCode.UNKNOWN_SERVER_ERROR) problems.push(`CreatePartitions racing DeleteTopics answered UNKNOWN_SERVER_ERROR: ${g.results[0].errorMessage}`);
        await sleep(500);
        const md = await roundTrip(host, port, 3, 4, { topics: ['hostile-race-create', 'hostile-race-grow'].map((name) => newMetadataRequestTopic({ name })), allowAutoTopicCreation: false });
        const live = readdirSync(broker.dataDir).filter((d) => d.startsWith('hostile-race-') && !d.endsWith('-delete'));
        const known = new Set((md?.topics ?? []).filter((t: { errorCode: number }) => t.errorCode === ErrorCode.NONE).map((t: { name: string }) => t.name));
        const orphans = live.filter((d) => !known.has(d.replace(/-\d+$/, '')));
        if (orphans.length > 0) problems.push(`${orphans.length} partition directories of deleted topics are left behind, e.g. ${orphans.slice(0, 3).join(', ')}`);
        return problems;
      });
      expectHealthy(r);
    } finally {
      await s.close();
    }
  });

  it('the data directory lock: a second broker, and six started at once, never share a directory', async () => {
    const s = await Session.open();
    try {
      const r = await s.attack('data-dir lock', async ({ broker }) => {
        const problems: string[] = [];
        // A second broker on a running broker's directory must refuse to start.
        const second = await HostileBroker.start({}, broker.dataDir).then(
          (b) => b,
          (e: Error) => e,
        );
        if (!(second instanceof Error)) {
          problems.push('a second broker started on a directory in use');
          await second.stop();
        }
        // Six brokers racing for one fresh directory: exactly one may start.
        const dir = tempDir('hostile-lock');
        try {
          const racers = await Promise.all(Array.from({ length: 6 }, () => HostileBroker.start({}, dir).catch(() => null)));
          const started = racers.filter((b) => b !== null);
          if (started.length !== 1) problems.push(`${started.length} of 6 brokers racing for one directory started`);
          await Promise.all(started.map((b) => b!.stop()));
        } finally {
          removeDir(dir);
        }
        return problems;
      });
      expectHealthy(r);
    } finally {
      await s.close();
    }
  });

  it('a 240-character topic created, deleted, recreated, and the broker restarted', async () => {
    const s = await Session.open();
    try {
      const name = 't'.repeat(240);
      const r = await s.attack('240-char topic lifecycle + restart', async (sess) => {
        const problems: string[] = [];
        const k = kafka(sess.broker.bootstrap);
        const admin = k.admin();
        await admin.connect();
        const producer = k.producer();
        await producer.connect();
        try {
          await admin.createTopics({ topics: [{ topic: name, numPartitions: 2 }] });
          await producer.send({ topic: name, acks: -1, messages: [{ value: 'first life' }] });
          await admin.deleteTopics({ topics: [name] });
          await admin.createTopics({ topics: [{ topic: name, numPartitions: 2 }] });
          await producer.send({ topic: name, acks: -1, messages: [{ value: 'second life' }] });
        } catch (e) {
          problems.push(`kafkajs lifecycle failed: ${(e as Error).message}`);
        } finally {
          await producer.disconnect();
          await admin.disconnect();
        }
        await sess.restartBroker();
        const admin2 = kafka(sess.broker.bootstrap).admin();
        await admin2.connect();
        const offsets = await admin2.fetchTopicOffsets(name).catch((e: Error) => e);
        await admin2.disconnect();
        if (offsets instanceof Error) problems.push(`after restart the topic is unreadable: ${offsets.message}`);
        else if (offsets.reduce((n, o) => n + Number(o.high), 0) !== 1) problems.push(`after restart the topic holds ${offsets.map((o) => o.high).join('+')} records, expected 1 (second life only)`);
        return problems;
      });
      expectHealthy(r);
    } finally {
      await s.close();
    }
  });

  it('Produce into __consumer_offsets and __transaction_state is refused; garbage in _schemas survives a restart', async () => {
    const s = await Session.open();
    try {
      const r = await s.attack('Produce into internal topics + restart', async (sess) => {
        const problems: string[] = [];
        const { broker } = sess;
        // Make the registry's topic exist with one schema in it.
        const schema = JSON.stringify({ schema: JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }) });
        const reg = await fetch(`${broker.registryUrl}/subjects/hostile-keep-value/versions`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: schema });
        const { id } = (await reg.json()) as { id: number };
        const garbage = buildBatchSync([
          { key: noise(40, 3), value: noise(200, 4) },
          { key: Buffer.from([0, 1, 0, 0]), value: noise(100, 5) },
          { key: Buffer.from([0, 2]), value: Buffer.from([0xff]) },
          { key: JSON.stringify({ keytype: 'SCHEMA', subject: 'hostile-keep-value', version: 1, magic: 1 }), value: '{"not":"a schema"' },
        ]);
        // A transactional InitProducerId makes __transaction_state exist (the pair made __consumer_offsets).
        await roundTrip(broker.host, broker.port, 22, 2, { transactionalId: 'hostile-produce-txn', transactionTimeoutMs: 60_000 });
        const c = await RawClient.connect(broker.host, broker.port);
        for (const topic of ['__consumer_offsets', '__transaction_state']) {
          for (const p of [0, 1, 17, 49]) {
            const code = await produceBatch(c, topic, p, garbage);
            if (code !== ErrorCode.INVALID_TOPIC_EXCEPTION) problems.push(`Produce to ${topic}-${p}: error ${code}, expected INVALID_TOPIC_EXCEPTION`);
          }
        }
        // _schemas is an ordinary topic in Kafka; whatever the broker answers, it must survive it.
        await produceBatch(c, '_schemas', 0, garbage);
        c.close();
        await sess.restartBroker();
        const back = await fetch(`${sess.broker.registryUrl}/schemas/ids/${id}`).then((x) => x.status, (e: Error) => e.message);
        if (back !== 200) problems.push(`after restart, schema ${id} answers ${back}`);
        return problems;
      });
      expectHealthy(r);
    } finally {
      await s.close();
    }
  });

  it('DeleteTopics of __consumer_offsets, __transaction_state and _schemas is refused', async () => {
    const s = await Session.open();
    try {
      const r = await s.attack('DeleteTopics of internal topics', async (sess) => {
        const problems: string[] = [];
        const { broker } = sess;
        const schema = JSON.stringify({ schema: JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }) });
        const reg = await fetch(`${broker.registryUrl}/subjects/hostile-del-value/versions`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: schema });
        const { id } = (await reg.json()) as { id: number };
        // An InitProducerId with a transactional id makes __transaction_state exist.
        await roundTrip(broker.host, broker.port, 22, 2, { transactionalId: 'hostile-del-txn', transactionTimeoutMs: 60_000 });
        const internal = ['__consumer_offsets', '__transaction_state', '_schemas'];
        const res = await roundTrip(broker.host, broker.port, 20, 4, { topicNames: internal, timeoutMs: 5000 });
        for (const t of res?.responses ?? []) if (t.errorCode === ErrorCode.NONE) problems.push(`DeleteTopics ${t.name}: accepted`);
        const md = await roundTrip(broker.host, broker.port, 3, 4, { topics: internal.map((name) => newMetadataRequestTopic({ name })), allowAutoTopicCreation: false });
        for (const t of md?.topics ?? []) if (t.errorCode !== ErrorCode.NONE) problems.push(`${t.name} is gone after DeleteTopics (error ${t.errorCode})`);
        await sess.restartBroker();
        const back = await fetch(`${sess.broker.registryUrl}/schemas/ids/${id}`).then((x) => x.status, (e: Error) => e.message);
        if (back !== 200) problems.push(`after DeleteTopics and a restart, schema ${id} answers ${back}`);
        return problems;
      });
      expectHealthy(r);
    } finally {
      await s.close();
    }
  });

  it('Metadata auto-creating _schemas and __consumer_offsets as the first request', async () => {
    // No pair at first: its group would create __consumer_offsets the proper way.
    const s = await Session.open({ pair: false });
    try {
      const r = await s.attack('Metadata auto-creates internal topics first', async (sess) => {
        const problems: string[] = [];
        const internal = ['_schemas', '__consumer_offsets', '__transaction_state'];
        await roundTrip(sess.broker.host, sess.broker.port, 3, 4, { topics: internal.map((name) => newMetadataRequestTopic({ name })), allowAutoTopicCreation: true });
        // Now the registry, a consumer group and a transactional id use whatever exists.
        const schema = JSON.stringify({ schema: JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }) });
        const reg = await fetch(`${sess.broker.registryUrl}/subjects/hostile-md-value/versions`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: schema });
        if (reg.status !== 200) problems.push(`registering a schema answers ${reg.status}: ${await reg.text()}`);
        const { id } = (await reg.json().catch(() => ({ id: -1 }))) as { id: number };
        await roundTrip(sess.broker.host, sess.broker.port, 22, 2, { transactionalId: 'hostile-md-txn', transactionTimeoutMs: 60_000 });
        sess.pair = await KafkaPair.start(sess.broker.bootstrap, 'hostile-md-pair');
        await sleep(1000);
        const { host, port } = sess.broker;
        for (const [topic, policy] of [['_schemas', 'compact'], ['__consumer_offsets', 'compact'], ['__transaction_state', 'compact']]) {
          const cfg = await roundTrip(host, port, 32, 1, { resources: [newDescribeConfigsRequestResource({ resourceType: 2, resourceName: topic!, configurationKeys: ['cleanup.policy'] })] });
          const got = cfg?.results[0].configs[0]?.value;
          if (got !== policy) problems.push(`${topic} has cleanup.policy=${got}, expected ${policy}`);
        }
        const md = await roundTrip(host, port, 3, 4, { topics: [newMetadataRequestTopic({ name: '__consumer_offsets' }), newMetadataRequestTopic({ name: '__transaction_state' })], allowAutoTopicCreation: false });
        for (const t of md?.topics ?? []) if (t.partitions.length !== 50) problems.push(`${t.name} has ${t.partitions.length} partitions, expected 50 (the *.num.partitions default)`);
        await sess.restartBroker();
        const back = await fetch(`${sess.broker.registryUrl}/schemas/ids/${id}`).then((x) => x.status, (e: Error) => e.message);
        if (back !== 200) problems.push(`after a restart, schema ${id} answers ${back}`);
        return problems;
      });
      expectHealthy(r);
    } finally {
      await s.close();
    }
  });

  it('Metadata auto-creating 1,000 topics in one request', async () => {
    const s = await Session.open();
    try {
      const r = await s.attack('Metadata auto-creating 1,000 topics', async ({ broker }) => {
        const topics = Array.from({ length: 1000 }, (_, i) => newMetadataRequestTopic({ name: `hostile-auto-${i}` }));
        const res = await roundTrip(broker.host, broker.port, 3, 4, { topics, allowAutoTopicCreation: true }, 20_000).catch((e: Error) => e);
        if (res instanceof Error) return [`Metadata auto-creating 1,000 topics: ${res.message}`];
        const created = (res?.topics ?? []).filter((t: { errorCode: number }) => t.errorCode === ErrorCode.NONE || t.errorCode === ErrorCode.LEADER_NOT_AVAILABLE).length;
        console.log(`  auto-create: ${created} of 1000 topics created or being created`);
        return [];
      });
      expectHealthy(r);
    } finally {
      await s.close();
    }
  });
}
