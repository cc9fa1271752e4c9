/** Broker config keys of TLS listeners (ssl.*), with Kafka's names; part of BROKER_CONFIGS (definitions.ts). */
import type { ConfigDef } from './definitions.js';

export const TLS_CONFIGS: ConfigDef[] = [];
