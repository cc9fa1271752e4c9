/**
 * Issue 20, ACLs with a real client (kafkajs): the ACLs Kafka's docs give a producer (WRITE on
 * the topic; DESCRIBE comes implied) and a consumer in a group (READ on the topic and the group)
 * are enough for the whole flow, and without them the client fails with Kafka's authorization
 * errors while nothing is written or committed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { connect } from 'node:net';
import { GroupService } from '../../src/groups/service.js';
import { AclEnv, Op, groupGrant, topicGrant } from './acl-env.js';

let env: AclEnv;
beforeAll(async () => {
  env = await AclEnv.runnel();
});
afterAll(async () => {
  await env?.stop();
});

/** kafkajs connecting from the identity's address (127.0.0.2: the admin's 127.0.0.1 holds ALL). */
const kafka = () =>
  new Kafka({
    brokers: [`${env.endpoint.host}:${env.endpoint.port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    socketFactory: ({ host, port, onConnect }) => connect({ host, port, localAddress: env.identity.host }, onConnect),
  });
const committed = (groupId: string, topic: string) => new GroupService(env.runnel!.broker.groups).fetchOffsets(groupId, [{ topic, partition: 0 }], false).offsets[0]?.offset;

describe('kafkajs under ACLs', () => {
  it('a producer needs WRITE on the topic: refused without it, nothing written', async () => {
    const topic = 'acl-m';
    const producer = kafka().producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const before = env.highWatermark(topic);
      await expect(producer.send({ topic, messages: [{ value: 'x' }] })).rejects.toMatchObject({ cause: { type: 'TOPIC_AUTHORIZATION_FAILED' } });
      expect(env.highWatermark(topic)).toBe(before);
      await env.grant([topicGrant(topic, Op.WRITE)]);
      const [r] = await producer.send({ topic, messages: [{ value: 'y' }] });
      expect(r!.errorCode).toBe(0);
      expect(env.highWatermark(topic)).toBe(before + 1);
    } finally {
      await producer.disconnect();
      await env.revokeAll();
    }
  });

  it('a group consumer needs READ on the group and the topic; then it consumes and commits', async () => {
    const topic = 'acl-t';
    const groupId = 'acl-consumers';
    const refused = kafka().consumer({ groupId, retry: { retries: 0 } });
    await refused.connect();
    try {
      await env.grant([topicGrant(topic, Op.READ)]);
      const crashed = new Promise<Error>((resolve) => refused.on(refused.events.CRASH, (e) => resolve(e.payload.error)));
      await refused.subscribe({ topic, fromBeginning: true });
      await refused.run({ eachMessage: async () => undefined });
      const err = await crashed;
      // kafkajs reports FindCoordinator's GROUP_AUTHORIZATION_FAILED as "coordinator not found"
      // (it drops the cause); the broker's code is checked by the ACL matrix.
      expect(err.name).toBe('KafkaJSGroupCoordinatorNotFound');
    } finally {
      await refused.disconnect();
    }
    expect(committed(groupId, topic) ?? -1).toBe(-1);
    await env.grant([groupGrant(groupId, Op.READ)]);
    const consumer = kafka().consumer({ groupId });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
        void consumer.run({
          eachMessage: async ({ message }) => {
            seen.push(String(message.value));
            if (seen.length === 3) resolve();
          },
        });
      });
      expect(seen).toEqual(['a', 'b', 'c']);
      await consumer.commitOffsets([{ topic, partition: 0, offset: '3' }]);
      expect(committed(groupId, topic)).toBe(3);
    } finally {
      await consumer.disconnect();
    }
  });
});
