/**
 * The schema registry started from its ports: the store rebuilt from `_schemas` before the Kafka
 * listeners open (so the first produce to a validated topic already sees every schema) and kept
 * following the topic after (the writes of another broker, in a cluster), the REST API on its own
 * port (listener.ts) with its writes made here or forwarded to the leader of `_schemas`-0
 * (forward.ts), closed by the caller at broker stop (`close()`), and the produce-path validator.
 */
import { httpExposureWarning, type HttpSecurity } from '../security/http-security.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { BrokerStartError } from '../errors.js';
import type { Leadership } from '../data/leadership.js';
import type { Logger } from '../logger.js';
import { LeaderSchemaWriter, LOCAL_SCHEMA_WRITER, type RegistryCluster } from './forward.js';
import { RegistryHttpServer } from './http.js';
import { REGISTRY_LISTENER_KEY, registryListener } from './listener.js';
import { SchemaRegistry } from './registry.js';
import { schemaLimits } from './limits.js';
import { SCHEMAS_TOPIC, TopicSchemasLog, type TopicSchemasLogDeps } from './schemas-log.js';
import { ProduceValidator } from './validation.js';

export { SchemaRegistry, type SchemaInput, type SchemaResponse, type CompiledSchema, type Mode } from './registry.js';
export { RegistryError } from './errors.js';
export { SCHEMAS_TOPIC } from './schemas-log.js';
export { registerAvscFile, createTopicWithSchema, type AvscTopicOptions } from './avsc-files.js';
export { topicSchemaPolicy, type TopicSchemaPolicy, type RecordRejection } from './validation.js';

export type { SchemaValidationPort } from './port.js';
export type { RegistryCluster, SchemaWriter } from './forward.js';

/** The registry of a running broker (`broker.schemaRegistry`). */
export class BrokerSchemaRegistry extends SchemaRegistry {
  readonly validator = new ProduceValidator(this);
  /** The REST API server, while it listens. */
  http: RegistryHttpServer | null = null;

  /** Stops the REST API and following `_schemas` (at broker stop). */
  async close(): Promise<void> {
    this.stopFollowing();
    await this.http?.close();
  }
}

export interface SchemaRegistryDeps extends TopicSchemasLogDeps {
  readonly config: BrokerConfig;
  /** The broker's root logger (the registry logs as component "schema-registry"). */
  readonly log: Logger;
  /** Which partitions this broker leads (`_schemas`-0: this broker makes the registry's writes). */
  readonly leadership: Leadership;
  /** Cluster mode: who leads `_schemas`-0 and where registries listen (writes are forwarded). Absent: one node, every write is local. */
  readonly cluster?: RegistryCluster;
  /** TLS and Basic auth of the REST port (runnel.schema.registry.ssl.enabled, runnel.http.basic.auth.users). */
  readonly httpSecurity?: HttpSecurity | null;
}

export async function startSchemaRegistry(deps: SchemaRegistryDeps): Promise<BrokerSchemaRegistry> {
  const logger = deps.log.child({ component: 'schema-registry' });
  const schemasLog = new TopicSchemasLog(deps);
  const registry = new BrokerSchemaRegistry(schemasLog, logger, schemaLimits(deps.config));
  const stats = await registry.load();
  if (stats.records > 0) logger.info(stats, 'schemas loaded from _schemas');
  // Serving reads keeps produce validation working; writes are refused until it is fixed.
  const problem = schemasLog.policyProblem();
  if (problem) logger.error(`schema registry is read-only: ${problem}`);
  registry.follow();
  const listener = registryListener(deps.config);
  if (!listener) return registry;
  const writer = deps.cluster
    ? new LeaderSchemaWriter(deps.leadership, deps.cluster, () => deps.topics.get(SCHEMAS_TOPIC) !== undefined, () => schemasLog.ensure())
    : LOCAL_SCHEMA_WRITER;
  const useTls = deps.config.bool('runnel.schema.registry.ssl.enabled');
  const exposed = httpExposureWarning('the schema registry REST API', listener.host, deps.httpSecurity ?? null);
  if (exposed !== null) logger.warn({ host: listener.host, port: listener.port }, exposed);
  const http = new RegistryHttpServer(registry, logger, registry.limits.maxRequestBytes, writer, deps.httpSecurity ?? null, useTls);
  try {
    const bound = await http.listen(listener.host, listener.port);
    const host = bound.host.includes(':') ? `[${bound.host}]` : bound.host;
    registry.url = `${useTls ? 'https' : 'http'}://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${bound.port}`;
    registry.http = http;
  } catch (e) {
    const where = `${listener.host}:${listener.port}`;
    const why = (e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the port is already in use' : (e as Error).message;
    if (listener.explicit) throw new BrokerStartError(`Schema registry cannot bind ${where} (${REGISTRY_LISTENER_KEY}): ${why}`);
    logger.warn({ listener: where }, `schema registry REST API not started: ${why}; set ${REGISTRY_LISTENER_KEY} to another host:port, or none`);
  }
  return registry;
}
