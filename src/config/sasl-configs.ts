/** Broker config keys of SASL authentication (sasl.*, listener.name.*.sasl.jaas.config), with Kafka's names; part of BROKER_CONFIGS (definitions.ts). */
import type { ConfigDef } from './definitions.js';

export const SASL_CONFIGS: ConfigDef[] = [];
