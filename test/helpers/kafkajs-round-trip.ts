/**
 * One kafkajs round trip over an authenticated client (the security tests' "it works" case): a
 * transaction of three records to a new one-partition topic, a group consumer reading them
 * (read_committed, kafkajs' default) and committing, and the committed offset read back. Returns
 * what the group read and the committed offset, for the caller's assertions.
 */
import type { Kafka } from 'kafkajs';

export async function transactionalRoundTrip(k: Kafka, topic: string, transactionalId: string, groupId: string): Promise<{ read: string[]; committed: string | undefined }> {
  const admin = k.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const producer = k.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic, messages: [0, 1, 2].map((i) => ({ key: `k${i}`, value: `v${i}` })) });
    await txn.commit();
    await producer.disconnect();
    const consumer = k.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const read: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ message, partition }) => {
          read.push(message.value!.toString());
          if (read.length === 3) {
            await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    return { read, committed: offsets[0]?.partitions[0]?.offset };
  } finally {
    await admin.disconnect();
  }
}
