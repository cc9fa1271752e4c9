/**
 * Which schema validation a topic asks for, read from its configs (Confluent's names:
 * `confluent.{key,value}.schema.validation`, `confluent.{key,value}.subject.name.strategy`). Part
 * of the topic's produce settings (topic-manager.ts); the schema registry's produce validator
 * (schema/validation.ts) applies it.
 */
import type { ConfigValue } from '../config/definitions.js';

export const SUBJECT_NAME_STRATEGIES = ['TopicNameStrategy', 'RecordNameStrategy', 'TopicRecordNameStrategy'] as const;
export type SubjectNameStrategy = (typeof SUBJECT_NAME_STRATEGIES)[number];
const CONFLUENT_STRATEGY_PACKAGE = 'io.confluent.kafka.serializers.subject.';
export const DEFAULT_SUBJECT_NAME_STRATEGY = `${CONFLUENT_STRATEGY_PACKAGE}TopicNameStrategy`;

/** Accepts the short names and Confluent's class names; null when it is neither. */
export function parseSubjectNameStrategy(v: unknown): SubjectNameStrategy | null {
  if (typeof v !== 'string') return null;
  const short = v.startsWith(CONFLUENT_STRATEGY_PACKAGE) ? v.slice(CONFLUENT_STRATEGY_PACKAGE.length) : v;
  return (SUBJECT_NAME_STRATEGIES as readonly string[]).includes(short) ? (short as SubjectNameStrategy) : null;
}

/** What a topic validates, resolved from its configs (cached with the topic's other settings). */
export interface TopicSchemaPolicy {
  readonly topic: string;
  /** Strategy for keys, or null when keys are not validated. */
  readonly key: SubjectNameStrategy | null;
  readonly value: SubjectNameStrategy | null;
}

/** The topic's policy, or null when it validates nothing (the produce path then skips all of this). */
export function topicSchemaPolicy(topic: string, get: (key: string) => ConfigValue): TopicSchemaPolicy | null {
  const key = get('confluent.key.schema.validation') === true;
  const value = get('confluent.value.schema.validation') === true;
  if (!key && !value) return null;
  const strategy = (k: string): SubjectNameStrategy => parseSubjectNameStrategy(get(k)) ?? 'TopicNameStrategy';
  return {
    topic,
    key: key ? strategy('confluent.key.subject.name.strategy') : null,
    value: value ? strategy('confluent.value.subject.name.strategy') : null,
  };
}
