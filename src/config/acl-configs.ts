/** Broker config keys of the authorizer and ACLs (authorizer.class.name, super.users, allow.everyone.if.no.acl.found), with Kafka's names; part of BROKER_CONFIGS (definitions.ts). */
import type { ConfigDef } from './definitions.js';

export const ACL_CONFIGS: ConfigDef[] = [];
