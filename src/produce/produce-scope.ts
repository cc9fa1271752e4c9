/**
 * What the batches of one Produce request share, worked out once per request or once per topic
 * instead of once per batch: the ports, version and acks, the clock reading the timestamp windows
 * use, and the refusals that need no batch bytes (pipeline stages 1-3: acks, authorization,
 * internal topics, free space). A topic's metadata and settings are looked up once per topic of the
 * request (TopicTarget).
 */
import type { ProduceRequest } from '../../protocol/generated/index.js';
import type { Topic, TopicSettings } from '../metadata/port.js';
import type { ProducePorts } from './produce-ports.js';
import type { Refusal } from './refusal.js';
import { refuseInvalidAcks } from './stages/acks.js';
import { refuseInternalTopic, refuseUnauthorizedTopic, refuseUnauthorizedTransactionalId } from './stages/access.js';
import { refuseLowDisk } from './stages/storage.js';
import { ErrorCode } from '../../protocol/errors.js';

const NO_ID = Buffer.alloc(16);
const UNKNOWN_TOPIC_ID: Refusal = Object.freeze({ code: ErrorCode.UNKNOWN_TOPIC_ID, message: 'This server does not host this topic ID.' });

/** One topic of the request, shared by its batches. */
export interface TopicTarget {
  readonly name: string;
  /** The topic id a v13+ request named it by (the response echoes it); all zero before v13. */
  readonly id: Buffer;
  /** Undefined when this broker has no such topic (the target stage answers UNKNOWN_TOPIC_OR_PARTITION). */
  readonly topic: Topic | undefined;
  readonly settings: TopicSettings | null;
  /** Why every batch of the topic is refused before its bytes are read (stages 1-3), or null. */
  readonly refusal: Refusal | null;
}

export class ProduceScope {
  /** The broker clock for the record timestamp windows (message.timestamp.*.max.ms). */
  readonly now = Date.now();
  readonly acks: number;
  /** The request's timeout_ms: the acks wait's bound (stage 11). */
  readonly timeoutMs: number;
  /** The request's transactional id (null for none): the transaction a v12+ batch's partition is added to. */
  readonly transactionalId: string | null;
  private readonly requestRefusal: Refusal | null;
  private readonly storageRefusal: Refusal | null;

  constructor(
    readonly ports: ProducePorts,
    /** The Produce request version. */
    readonly version: number,
    req: ProduceRequest,
  ) {
    this.acks = req.acks;
    this.timeoutMs = req.timeoutMs;
    this.transactionalId = req.transactionalId;
    this.requestRefusal = refuseInvalidAcks(req.acks) ?? refuseUnauthorizedTransactionalId(ports, req);
    this.storageRefusal = refuseLowDisk(ports);
  }

  /** The topic `name` (v13+: named by `id`) for the batches of one topic entry of the request. */
  topic(name: string, id: Buffer = NO_ID): TopicTarget {
    const topic = this.ports.topics.get(name);
    return {
      name,
      id,
      topic,
      settings: topic === undefined ? null : this.ports.topics.settings(topic),
      refusal: this.requestRefusal ?? refuseUnauthorizedTopic(this.ports, name) ?? refuseInternalTopic(name) ?? this.storageRefusal,
    };
  }

  /** A v13+ topic entry whose id no topic has: every batch UNKNOWN_TOPIC_ID, as Kafka answers. */
  unknownTopicId(id: Buffer): TopicTarget {
    return { name: '', id, topic: undefined, settings: null, refusal: this.requestRefusal ?? UNKNOWN_TOPIC_ID };
  }
}
