/**
 * `.avsc` files (one Avro schema as JSON, the format avro-tools and most codebases keep schemas
 * in): register one under a subject, or create a topic bound to one — the topic gets the schema
 * registered under `<topic>-value` (and/or `<topic>-key`, TopicNameStrategy) and validation
 * switched on, so from its first record on it only accepts records written with that schema (or
 * compatible later versions registered under the same subject). Used by tests and the CLI.
 */
import { readFile } from 'node:fs/promises';
import type { TopicCreator } from '../metadata/port.js';
import { RegistryErrors } from './errors.js';
import type { SchemaReference } from './records.js';
import type { SchemaRegistry } from './registry.js';

export interface RegisteredFile {
  subject: string;
  id: number;
  version: number;
}

async function readAvsc(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw RegistryErrors.invalidSchema(`cannot read ${path}: ${(e as Error).message}`);
  }
}

/** Registers the schema in `path` under `subject` (compatibility rules apply as for any registration). */
export async function registerAvscFile(registry: SchemaRegistry, subject: string, path: string, references: SchemaReference[] = []): Promise<RegisteredFile> {
  const schema = await readAvsc(path);
  const { id } = await registry.register(subject, { schema, references });
  const version = (await registry.lookup(subject, { schema, references })).version;
  return { subject, id, version };
}

export interface AvscTopicOptions {
  /** Schema of record values: registered under `<topic>-value`, value validation on. */
  valueSchemaFile?: string;
  /** Schema of record keys: registered under `<topic>-key`, key validation on. */
  keySchemaFile?: string;
  partitions?: number;
  /** Further topic configs. */
  configs?: Array<[string, string]>;
}

/** What createTopicWithSchema needs: the registry and topic creation (a running Broker has both). */
export interface SchemaTopicHost {
  readonly schemaRegistry: SchemaRegistry;
  readonly topics: TopicCreator;
}

/**
 * Creates `topic` bound to the given .avsc file(s). Schemas are registered first: a schema that
 * does not parse, or is incompatible with what the subject already holds, creates no topic.
 */
export async function createTopicWithSchema(broker: SchemaTopicHost, topic: string, opts: AvscTopicOptions): Promise<{ key?: RegisteredFile; value?: RegisteredFile }> {
  if (!opts.valueSchemaFile && !opts.keySchemaFile) throw new Error('createTopicWithSchema needs valueSchemaFile and/or keySchemaFile');
  const registry = broker.schemaRegistry;
  const base = { partitions: opts.partitions ?? -1, replicationFactor: -1 };
  const validation: Array<[string, string]> = [];
  if (opts.valueSchemaFile) validation.push(['confluent.value.schema.validation', 'true']);
  if (opts.keySchemaFile) validation.push(['confluent.key.schema.validation', 'true']);
  const configs: Array<[string, string | null]> = [...(opts.configs ?? []), ...validation];
  // Name, existence and configs first: a topic that cannot be created registers nothing.
  await broker.topics.create(topic, { ...base, configs, validateOnly: true });
  const out: { key?: RegisteredFile; value?: RegisteredFile } = {};
  if (opts.valueSchemaFile) out.value = await registerAvscFile(registry, `${topic}-value`, opts.valueSchemaFile);
  if (opts.keySchemaFile) out.key = await registerAvscFile(registry, `${topic}-key`, opts.keySchemaFile);
  await broker.topics.create(topic, { ...base, configs });
  return out;
}
