/**
 * The embedding API: `startBroker()` runs a complete broker in this process — the same code path
 * as `npm start` — and returns its address and `stop()`.
 *
 *   import { startBroker } from 'runnel';
 *   const broker = await startBroker({ dataDir: './data', port: 0 });
 *   // ... kafkajs / any client at broker.bootstrap ...
 *   await broker.stop();
 */
import { Broker } from './broker.js';
import { BrokerConfig, optionsLayer, type RawConfig } from './config/broker-config.js';
import { createLogger, type Logger } from './logger.js';
import type { StorageFs } from '../storage/fs.js';

export { Broker } from './broker.js';
export { BrokerStartError } from './errors.js';
export { BrokerConfig } from './config/broker-config.js';
export { ConfigError } from './config/values.js';
export { DataDirError } from './metadata/data-dir.js';
export { murmur2Partition } from './client/partitioner.js';
export { SchemaRegistry, RegistryError, SCHEMAS_TOPIC, registerAvscFile, createTopicWithSchema, type AvscTopicOptions, type SchemaInput, type SchemaResponse } from './schema/index.js';

export interface StartBrokerOptions {
  /** Data directory (log.dirs). Default ./data. */
  dataDir?: string;
  /** Host to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default 9092. */
  port?: number;
  /** Any broker configs by Kafka name, e.g. { 'num.partitions': 3, 'auto.create.topics.enable': false }. */
  config?: RawConfig;
  /** pino level when no logger is given. Default 'warn' for embedded use. */
  logLevel?: string;
  logger?: Logger;
  /** The storage engine's file-system seam (tests inject faults with storage/fs.ts FaultyFs). */
  storageFs?: StorageFs;
}

export interface RunningBroker {
  readonly host: string;
  readonly port: number;
  /** host:port, ready for a client's bootstrap servers. */
  readonly bootstrap: string;
  /** Base URL of the schema registry REST API (null when disabled); see runnel.schema.registry.listener. */
  readonly schemaRegistryUrl: string | null;
  readonly broker: Broker;
  stop(): Promise<void>;
}

export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const raw: RawConfig = { ...(options.config ?? {}) };
  if (options.dataDir !== undefined) raw['log.dirs'] = options.dataDir;
  if (options.host !== undefined || options.port !== undefined) {
    raw['listeners'] = `PLAINTEXT://${options.host ?? '127.0.0.1'}:${options.port ?? 9092}`;
  }
  if (raw['logger.level'] === undefined) raw['logger.level'] = options.logLevel ?? 'warn';
  const config = new BrokerConfig([optionsLayer(raw)]);
  const logger = options.logger ?? createLogger(config.string('logger.level') ?? 'warn');
  const broker = await Broker.start(config, logger, { storageFs: options.storageFs });
  const addr = broker.advertised[0]!;
  return {
    host: addr.host,
    port: addr.port,
    bootstrap: `${addr.host}:${addr.port}`,
    schemaRegistryUrl: broker.schemaRegistry.url,
    broker,
    stop: () => broker.stop(),
  };
}
