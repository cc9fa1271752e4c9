/** Broker config keys of the authorizer and ACLs (authorizer.class.name, super.users, allow.everyone.if.no.acl.found), with Kafka's names; part of BROKER_CONFIGS (definitions.ts). */
import type { ConfigDef, ConfigValue } from './definitions.js';
import { atLeast } from './validators.js';

/** Kafka's class names that turn ACLs on (security/standard-authorizer.ts); '' is Kafka's default: no authorizer. */
const AUTHORIZER_CLASSES = ['', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'kafka.security.authorizer.AclAuthorizer'];

const authorizerClass = (v: ConfigValue) =>
  v === null || (typeof v === 'string' && AUTHORIZER_CLASSES.includes(v.trim())) ? null : `must be empty or org.apache.kafka.metadata.authorizer.StandardAuthorizer (the only authorizer Runnel has)`;

const superUsers = (v: ConfigValue) => {
  if (v === null || v === '') return null;
  for (const p of String(v).split(';')) {
    const s = p.trim();
    if (s !== '' && !/^[^:]+:.+$/.test(s)) return `'${s}' is not a principal (Type:name, e.g. User:admin; entries separated by ';')`;
  }
  return null;
};

export const ACL_CONFIGS: ConfigDef[] = [
  {
    name: 'authorizer.class.name',
    type: 'string',
    default: '',
    doc: 'org.apache.kafka.metadata.authorizer.StandardAuthorizer turns ACLs on (kafka.security.authorizer.AclAuthorizer is accepted as the same); empty: no authorizer, every request allowed and the ACL APIs answer SECURITY_DISABLED. ACLs are stored in the data dir (single node) or etcd (cluster).',
    validate: authorizerClass,
  },
  {
    name: 'super.users',
    type: 'string',
    default: '',
    doc: "Principals allowed everything whatever the ACLs say, ';'-separated (User:admin;User:broker). In a cluster the brokers' own principal must be here (or hold CLUSTER_ACTION) for replication.",
    validate: superUsers,
    undescribed: true,
  },
  { name: 'allow.everyone.if.no.acl.found', type: 'boolean', default: false, doc: 'With an authorizer: a resource with no ACL at all is open to everyone (true) or to super users only (false, Kafka\'s default).', undescribed: true },
  {
    name: 'runnel.authorizer.max.acls',
    type: 'int',
    default: 10000,
    doc: 'Most ACL bindings stored; CreateAcls past it answers POLICY_VIOLATION. (Runnel only: the ACLs are one etcd value in a cluster, bounded by etcd\'s request size.)',
    validate: atLeast(1),
  },
  {
    name: 'runnel.authorizer.cache.max.entries',
    type: 'int',
    default: 100000,
    doc: 'Cached authorization decisions (principal, host, resource); cleared when full and on every ACL change. (Runnel only.)',
    validate: atLeast(1),
  },
  {
    name: 'runnel.authorizer.denial.log.per.second',
    type: 'int',
    default: 10,
    doc: 'Authorization denials written to the audit log per second; the rest are counted and reported in the next line (suppressedDenials). 0 turns the denial log off. (Runnel only.)',
    validate: atLeast(0),
  },
];
