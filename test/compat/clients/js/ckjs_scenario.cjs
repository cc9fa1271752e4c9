/**
 * The client scenario of test/compat/clients (steps and JSON output: py/scenario_common.py) with
 * @confluentinc/kafka-javascript through its KafkaJS-compatible API (librdkafka underneath).
 *
 *   node ckjs_scenario.cjs '{"bootstrap":"h:p","topic":T,"group":G,"partitions":3,"count":500,"resume":50}'
 *
 * The package is installed by .ci/run into test/compat/clients/js/node_modules (a native build).
 */
'use strict';
const ckjs = require('@confluentinc/kafka-javascript');
const { Kafka, logLevel } = ckjs.KafkaJS;

const a = { partitions: 3, count: 500, resume: 50, timeout: 45, producer: {}, consumer: {}, ...JSON.parse(process.argv[2]) };
const out = {
  client: '@confluentinc/kafka-javascript',
  version: `${require('@confluentinc/kafka-javascript/package.json').version}/librdkafka ${ckjs.librdkafkaVersion}`,
  admin: {},
  produced: [],
  produceErrors: [],
  consumed: [],
  resumed: [],
  consumeErrors: [],
  committed: {},
};
const t0 = Date.now();
const kafka = new Kafka({ kafkaJS: { brokers: [a.bootstrap], logLevel: logLevel.ERROR } });
const record = (i) => ({ key: `k${i % 37}`, value: `v${i}`, headers: { h: `x${i}` } });
/** ConsumerGroupStates is a numeric enum here (KafkaJS used names). */
const ckjsGroupState = (s) => Object.keys(ckjs.ConsumerGroupStates).find((k) => ckjs.ConsumerGroupStates[k] === s) ?? String(s);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function step(name, fn) {
  try {
    out.admin[name] = await fn();
  } catch (e) {
    out.admin[name] = `ERR ${e && e.message}`;
  }
}

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  await step('create', async () => ((await admin.createTopics({ topics: [{ topic: a.topic, numPartitions: a.partitions }] })) ? 'ok' : 'not created'));
  // (KafkaJS returns { topics: [...] }; this API the array itself.)
  await step('partitions', async () => (await admin.fetchTopicMetadata({ topics: [a.topic] }))[0].partitions.length);
  await step('listed', async () => (await admin.listTopics()).includes(a.topic));

  const producer = kafka.producer({ kafkaJS: { acks: -1, ...a.producer } });
  await producer.connect();
  async function produce(first, count) {
    // One send per record, all in flight together: each result names its record's offset.
    const sends = [];
    for (let i = first; i < first + count; i++) {
      const m = record(i);
      const value = m.value; // send() turns the message's value into a Buffer
      sends.push(
        producer.send({ topic: a.topic, messages: [m] }).then(
          (res) => out.produced.push([value, res[0].partition, Number(res[0].baseOffset ?? res[0].offset)]),
          (e) => out.produceErrors.push(String(e && e.message)),
        ),
      );
    }
    await Promise.all(sends);
  }

  async function consume(into, want) {
    // No auto-creation: librdkafka may refresh metadata while disconnect() tears the handle down,
    // and that request (answered as Kafka does: a request that arrived before the client's FIN is
    // processed) would re-create the topic the admin deletes just after.
    const consumer = kafka.consumer({ kafkaJS: { groupId: a.group, fromBeginning: true, autoCommit: false, allowAutoTopicCreation: false, ...a.consumer } });
    await consumer.connect();
    await consumer.subscribe({ topics: [a.topic] });
    const next = new Map();
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const hs = Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]);
        out[into].push([message.key === null ? null : message.key.toString(), message.value.toString(), hs, partition, Number(message.offset)]);
        next.set(partition, Number(message.offset) + 1);
      },
    });
    const deadline = Date.now() + a.timeout * 1000;
    while (out[into].length < want && Date.now() < deadline) await sleep(100);
    await sleep(1000); // anything more is a duplicate
    await consumer.commitOffsets([...next].map(([partition, offset]) => ({ topic: a.topic, partition, offset: String(offset) })));
    const committed = await consumer.committed([...Array(a.partitions).keys()].map((partition) => ({ topic: a.topic, partition })));
    for (const c of committed) out.committed[String(c.partition)] = Number(c.offset);
    await consumer.disconnect();
  }

  await produce(0, a.count);
  await consume('consumed', a.count);
  await produce(a.count, a.resume);
  await consume('resumed', a.resume);
  await producer.disconnect();

  await step('listedGroup', async () => (await admin.listGroups()).groups.some((g) => g.groupId === a.group));
  await step('describedGroup', async () => {
    const g = (await admin.describeGroups([a.group])).groups[0];
    return { state: ckjsGroupState(g.state), members: g.members.length };
  });
  await step('groupOffsets', async () => {
    const res = await admin.fetchOffsets({ groupId: a.group, topics: [a.topic] });
    return Object.fromEntries(res[0].partitions.map((p) => [String(p.partition), Number(p.offset)]));
  });
  await step('delete', async () => (await admin.deleteTopics({ topics: [a.topic] }), 'ok'));
  await sleep(500);
  await step('deleted', async () => !(await admin.listTopics()).includes(a.topic));
  await admin.disconnect();
  out.ms = Date.now() - t0;
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  out.fatal = String(e && e.stack);
  console.log(JSON.stringify(out));
  process.exit(1);
});
