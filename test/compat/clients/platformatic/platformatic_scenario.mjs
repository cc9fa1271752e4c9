/**
 * The client scenario of test/compat/clients (steps and JSON output: ../py/scenario_common.py) with
 * @platformatic/kafka, the pure-TypeScript client (its own protocol code: no librdkafka, no kafkajs).
 *
 *   node platformatic_scenario.mjs '{"bootstrap":"h:p","topic":T,"group":G,"partitions":3,"count":500,"resume":50,"producer":{...}}'
 *
 * Installed by ../setup.sh (`npm ci` here, into this directory's own node_modules).
 * "producer" options go to the Producer (e.g. {"idempotent": true, "compression": "lz4"}).
 * An idempotent producer sends one record at a time: this client advances a partition's sequence
 * number only when a response arrives, so sends in flight together would all carry the same
 * sequence and the broker (as Kafka) would take every one after the first for a retry of it.
 */
import { readFileSync } from 'node:fs';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';

const a = { partitions: 3, count: 500, resume: 50, timeout: 45, producer: {}, consumer: {}, ...JSON.parse(process.argv[2]) };
const pkg = JSON.parse(readFileSync(new URL('./node_modules/@platformatic/kafka/package.json', import.meta.url), 'utf8'));
const out = {
  client: '@platformatic/kafka',
  version: pkg.version,
  admin: {},
  produced: [],
  produceErrors: [],
  consumed: [],
  resumed: [],
  consumeErrors: [],
  committed: {},
};
const t0 = Date.now();
const base = { bootstrapBrokers: [a.bootstrap], retries: 5, retryDelay: 200 };
const record = (i) => ({ topic: a.topic, key: `k${i % 37}`, value: `v${i}`, headers: new Map([['h', `x${i}`]]) });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const errText = (e) => String(e && (e.errors ? `${e.message}: ${e.errors.map((x) => x.message).join('; ')}` : e.message));

async function step(name, fn) {
  try {
    out.admin[name] = await fn();
  } catch (e) {
    out.admin[name] = `ERR ${errText(e)}`;
  }
}

async function main() {
  const admin = new Admin({ ...base, clientId: 'compat-admin' });
  await step('create', async () => (await admin.createTopics({ topics: [a.topic], partitions: a.partitions, replicas: 1 }), 'ok'));
  await step('partitions', async () => (await admin.metadata({ topics: [a.topic] })).topics.get(a.topic).partitionsCount);
  await step('listed', async () => (await admin.listTopics()).includes(a.topic));
  await step('nodes', async () => (await admin.metadata({ topics: [] })).brokers.size);

  const producer = new Producer({ ...base, clientId: 'compat-producer', serializers: stringSerializers, acks: -1, autocreateTopics: false, ...a.producer });
  async function produce(first, count) {
    // One send per record, all in flight together: each result names its record's offset.
    const sends = [];
    for (let i = first; i < first + count; i++) {
      const m = record(i);
      const sent = producer.send({ messages: [m] }).then(
        (res) => out.produced.push([m.value, res.offsets[0].partition, Number(res.offsets[0].offset)]),
        (e) => out.produceErrors.push(errText(e)),
      );
      if (a.producer.idempotent) await sent;
      sends.push(sent);
    }
    await Promise.all(sends);
  }

  async function consume(into, want) {
    const consumer = new Consumer({ ...base, clientId: 'compat-consumer', groupId: a.group, deserializers: stringDeserializers, sessionTimeout: 10_000, heartbeatInterval: 500, ...a.consumer });
    const stream = await consumer.consume({ topics: [a.topic], autocommit: false, mode: 'committed', fallbackMode: 'earliest' });
    const last = new Map(); // partition → its last message (message.commit() commits offset + 1)
    stream.on('data', (m) => {
      out[into].push([m.key ?? null, m.value, [...m.headers].map(([k, v]) => [String(k), String(v)]), m.partition, Number(m.offset)]);
      last.set(m.partition, m);
    });
    stream.on('error', (e) => out.consumeErrors.push(errText(e)));
    const deadline = Date.now() + a.timeout * 1000;
    while (out[into].length < want && Date.now() < deadline) await sleep(100);
    await sleep(1000); // anything more is a duplicate
    for (const m of last.values()) await m.commit();
    const committed = await consumer.listCommittedOffsets({ topics: [{ topic: a.topic, partitions: [...Array(a.partitions).keys()] }] });
    committed.get(a.topic).forEach((off, p) => (out.committed[String(p)] = Number(off)));
    await stream.close();
    await consumer.close(); // leaves the group
  }

  await produce(0, a.count);
  await consume('consumed', a.count);
  await produce(a.count, a.resume);
  await consume('resumed', a.resume);
  await producer.close();

  await step('listedGroup', async () => (await admin.listGroups()).has(a.group));
  await step('describedGroup', async () => {
    const g = (await admin.describeGroups({ groups: [a.group] })).get(a.group);
    return { state: g.state, members: g.members.size };
  });
  await step('groupOffsets', async () => {
    const [g] = await admin.listConsumerGroupOffsets({ groups: [a.group] });
    const t = g.topics.find((x) => x.name === a.topic);
    return Object.fromEntries((t?.partitions ?? []).map((p) => [String(p.partitionIndex), Number(p.committedOffset)]));
  });
  await step('delete', async () => (await admin.deleteTopics({ topics: [a.topic] }), 'ok'));
  await sleep(500);
  await step('deleted', async () => !(await admin.listTopics()).includes(a.topic));
  await admin.close();
  out.ms = Date.now() - t0;
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  out.fatal = `${errText(e)}\n${e && e.stack}`;
  console.log(JSON.stringify(out));
  process.exit(1);
});
