/**
 * Topic ids in requests (KIP-516: Produce v13+, Fetch v13+, OffsetCommit v10+, OffsetFetch v10+
 * name topics by id only). Each topic entry's id is resolved to its name once per request entry —
 * one map read, never per partition or record — so the rest of a handler keeps working by name.
 * An id no topic has is answered UNKNOWN_TOPIC_ID for its partitions, as Kafka answers it (a
 * deleted and re-created topic has a new id, so a client holding the old one learns it is gone).
 */
import type { RequestContext } from './types.js';

/** The all-zero id: "no id" in versions that carry one. */
export const NO_TOPIC_ID = Buffer.alloc(16);

/**
 * Sets each entry's `name` from its `topicId` (v13+/v10+ requests carry no names); returns the
 * entries whose id is unknown (their name is left ''), or null when every id is known.
 */
export function resolveTopicIds<T extends { name: string; topicId: Buffer }>(ctx: Pick<RequestContext, 'topics'>, entries: readonly T[]): Set<T> | null {
  let unknown: Set<T> | null = null;
  for (const e of entries) {
    const topic = ctx.topics.byId(e.topicId);
    if (topic) e.name = topic.name;
    else {
      e.name = '';
      (unknown ??= new Set()).add(e);
    }
  }
  return unknown;
}
