/**
 * What the consumer group coordinator sees of the topics: names, ids, partition counts, and a
 * version that moves on every topic change, so resolved subscriptions (regexes above all) are
 * recomputed only when the topic set changed.
 */
export interface ConsumerTopic {
  readonly name: string;
  readonly id: Buffer;
  readonly partitions: number;
  readonly internal: boolean;
}

export interface ConsumerTopicsView {
  get(name: string): ConsumerTopic | undefined;
  byId(id: Buffer): ConsumerTopic | undefined;
  all(): Iterable<ConsumerTopic>;
}

/** No topics: the coordinator's default when built without a topic store (unit tests). */
export const NO_TOPICS: ConsumerTopicsView = { get: () => undefined, byId: () => undefined, all: () => [] };
