/**
 * The schema validation port: what Produce asks of the schema registry for a topic with schema
 * validation (metadata/topic-schema-policy.ts). ProduceValidator (validation.ts) implements it.
 */
import type { RecordRejection, TopicSchemaPolicy } from './validation.js';

export type { RecordRejection, TopicSchemaPolicy };

export interface SchemaValidationPort {
  /**
   * Checks the `count` records of a batch's (decompressed) records block against the policy:
   * null when every record passes, else the first rejection.
   */
  checkBlock(block: Buffer, count: number, policy: TopicSchemaPolicy): RecordRejection | null;
}
