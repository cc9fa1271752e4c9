/**
 * The kafkajs producer/consumer pair: writes sequence-numbered records (acks=-1) to its own topic
 * and reads them back in a group, so after each attack every acknowledged record must have been
 * consumed (missing()) and the producer must have made progress (progressed()).
 */
import kafkajsPkg from 'kafkajs';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { LIMITS, sleep, withTimeout } from './limits.js';

const { Kafka, logLevel } = kafkajsPkg;

export class KafkaPair {
  readonly acked = new Set<number>();
  readonly consumed = new Set<number>();
  sendErrors = 0;
  private seq = 0;
  private running = true;
  private loop: Promise<void> = Promise.resolve();

  private constructor(
    private readonly admin: Admin,
    private readonly producer: Producer,
    private readonly consumer: Consumer,
    readonly topic: string,
  ) {}

  static async start(bootstrap: string, topic = 'hostile-pair'): Promise<KafkaPair> {
    const kafka = new Kafka({
      brokers: [bootstrap],
      clientId: 'hostile-pair',
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const consumer = kafka.consumer({ groupId: `${topic}-group`, maxWaitTimeInMs: 100, sessionTimeout: 30_000, heartbeatInterval: 1000 });
    const pair = new KafkaPair(admin, producer, consumer, topic);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let joined!: () => void;
    const joinedP = new Promise<void>((r) => (joined = r));
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    await consumer.run({
      eachMessage: async ({ message }) => {
        pair.consumed.add(Number(message.value!.toString()));
      },
    });
    await withTimeout(joinedP, 20_000, 'the pair consumer did not join its group');
    pair.loop = pair.produceLoop();
    return pair;
  }

  private async produceLoop(): Promise<void> {
    while (this.running) {
      const n = this.seq++;
      try {
        await this.producer.send({ topic: this.topic, acks: -1, timeout: 10_000, messages: [{ key: String(n % 7), value: String(n) }] });
        this.acked.add(n);
        await sleep(15);
      } catch {
        this.sendErrors++;
        await sleep(100);
      }
    }
  }

  /** Acknowledged records not consumed within `timeoutMs` (empty: nothing lost). */
  async missing(timeoutMs = LIMITS.pairSettleMs): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const missing = [...this.acked].filter((n) => !this.consumed.has(n));
      if (missing.length === 0 || Date.now() > deadline) return missing;
      await sleep(50);
    }
  }

  /** True once more than `base` records are acknowledged (within `timeoutMs`). */
  async progressed(base: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.acked.size <= base) {
      if (Date.now() > deadline) return false;
      await sleep(20);
    }
    return true;
  }

  async stop(): Promise<void> {
    this.running = false;
    await withTimeout(this.loop, 15_000, 'producer loop').catch(() => undefined);
    await Promise.allSettled([this.consumer.disconnect(), this.producer.disconnect(), this.admin.disconnect()]);
  }
}
