/** Broker config keys of client quotas and connection-rate limits, with Kafka's names; part of BROKER_CONFIGS (definitions.ts). */
import type { ConfigDef } from './definitions.js';

export const QUOTA_CONFIGS: ConfigDef[] = [];
