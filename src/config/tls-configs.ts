/**
 * Broker config keys of TLS listeners (ssl.*), with Kafka's names and defaults; part of
 * BROKER_CONFIGS (definitions.ts). They apply to every SSL and SASL_SSL listener (Kafka's
 * per-listener `listener.name.<name>.ssl.*` overrides are not read), to the broker's own client
 * when the inter-broker listener uses TLS, and (runnel.http.*) to the HTTP ports.
 */
import type { ConfigDef, ConfigValue } from './definitions.js';
import { atLeast, listOf, oneOf } from './validators.js';

/** Kafka's JVM-specific TLS keys: accepted (a server.properties written for Kafka starts) with a warning, no effect. */
const JVM_ONLY = (name: string, what: string): ConfigDef => ({ name, type: 'string', default: null, ignored: true, doc: `Accepted for Kafka compatibility and ignored: ${what}.` });

const storeType = (v: ConfigValue) => (v === null ? null : oneOf('JKS', 'PKCS12', 'PEM')(typeof v === 'string' ? v.toUpperCase() : v));

/** ssl.principal.mapping.rules: DEFAULT or RULE:pattern/replacement/[LU] entries (checked in ssl-principal.ts at start). */
const MAPPING_DOC =
  'Rules mapping a client certificate\'s subject (RFC 2253 distinguished name, e.g. CN=alice,OU=eng,O=acme) to the principal name: comma-separated DEFAULT (the name as is) or RULE:pattern/replacement/[L|U] entries, the first whose pattern (a regular expression, JavaScript syntax, which reads Kafka rules as Java does in the usual cases) matches the whole name wins; no match refuses the connection.';

export const TLS_CONFIGS: ConfigDef[] = [
  {
    name: 'ssl.keystore.type',
    type: 'string',
    default: 'JKS',
    doc: 'Format of the key store: PEM (ssl.keystore.location holds the private key and certificate chain, or they are inline in ssl.keystore.key / ssl.keystore.certificate.chain) or PKCS12. Kafka\'s default JKS cannot be read by Runnel: a TLS listener with a JKS key store stops startup (convert it: keytool -importkeystore -deststoretype PKCS12).',
    validate: storeType,
  },
  { name: 'ssl.keystore.location', type: 'string', default: null, doc: 'Path of the key store file (PEM or PKCS12, per ssl.keystore.type). Re-read when it changes (runnel.ssl.reload.check.interval.ms).' },
  { name: 'ssl.keystore.password', type: 'password', default: null, doc: 'Password of a PKCS12 key store file.' },
  { name: 'ssl.key.password', type: 'password', default: null, doc: 'Password of an encrypted PEM private key (ssl.keystore.location or ssl.keystore.key).' },
  { name: 'ssl.keystore.key', type: 'password', default: null, doc: 'The private key inline, PEM (PKCS#8, optionally encrypted with ssl.key.password); with ssl.keystore.type=PEM.' },
  { name: 'ssl.keystore.certificate.chain', type: 'password', default: null, doc: 'The certificate chain inline, PEM, leaf first; with ssl.keystore.type=PEM and ssl.keystore.key.' },
  { name: 'ssl.truststore.type', type: 'string', default: 'JKS', doc: 'Format of the trust store: PEM or PKCS12 (a PKCS12 trust store is read with the openssl command). JKS is refused like for the key store.', validate: storeType },
  { name: 'ssl.truststore.location', type: 'string', default: null, doc: 'Path of the trust store file: the CA certificates that client certificates (ssl.client.auth) and, for the broker\'s own client, other brokers\' certificates must chain to. Unset and no inline certificates: the system\'s CAs.' },
  { name: 'ssl.truststore.password', type: 'password', default: null, doc: 'Password of a PKCS12 trust store file.' },
  { name: 'ssl.truststore.certificates', type: 'password', default: null, doc: 'The trusted CA certificates inline, PEM; with ssl.truststore.type=PEM.' },
  {
    name: 'ssl.client.auth',
    type: 'string',
    default: 'none',
    doc: 'Client certificates on SSL and SASL_SSL listeners: none (not asked for), requested (asked for; a client without one is ANONYMOUS on SSL), required (a client without a certificate chaining to the trust store is refused during the handshake). A certificate that is presented must always be valid.',
    validate: oneOf('none', 'requested', 'required'),
  },
  {
    name: 'ssl.enabled.protocols',
    type: 'list',
    default: ['TLSv1.2', 'TLSv1.3'],
    doc: 'TLS versions the broker accepts (and its own client offers). Runnel accepts TLSv1.2 and TLSv1.3 only.',
    validate: listOf('TLSv1.2', 'TLSv1.3'),
  },
  {
    name: 'ssl.cipher.suites',
    type: 'list',
    default: null,
    doc: 'Cipher suites the broker accepts (and its own client offers), Kafka\'s IANA names (TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256) or OpenSSL\'s. Unset: Node\'s defaults. A name OpenSSL does not know stops startup.',
  },
  { name: 'ssl.protocol', type: 'string', default: 'TLSv1.3', doc: 'Accepted for Kafka compatibility; the versions in use are ssl.enabled.protocols.', validate: oneOf('TLS', 'TLSv1.2', 'TLSv1.3') },
  { name: 'ssl.principal.mapping.rules', type: 'string', default: 'DEFAULT', doc: MAPPING_DOC },
  {
    name: 'ssl.endpoint.identification.algorithm',
    type: 'string',
    default: 'https',
    doc: 'The broker\'s own client (replication over an SSL inter-broker listener) checks that the other broker\'s certificate names its host when https; empty disables the check.',
    validate: (v) => (v === null || v === '' || v === 'https' ? null : 'must be https or empty'),
  },
  JVM_ONLY('ssl.keymanager.algorithm', 'a Java KeyManagerFactory algorithm; Node\'s OpenSSL has none to choose'),
  JVM_ONLY('ssl.trustmanager.algorithm', 'a Java TrustManagerFactory algorithm'),
  JVM_ONLY('ssl.secure.random.implementation', 'a Java SecureRandom; OpenSSL\'s generator is used'),
  JVM_ONLY('ssl.provider', 'a Java security provider'),
  JVM_ONLY('ssl.allow.dn.changes', 'Kafka\'s check of a dynamically updated key store; Runnel reloads files (runnel.ssl.reload.check.interval.ms) whatever their subject'),
  JVM_ONLY('ssl.allow.san.changes', 'as ssl.allow.dn.changes, for subject alternative names'),
  {
    name: 'runnel.ssl.handshake.timeout.ms',
    type: 'int',
    default: 10000,
    doc: 'Runnel: a TLS handshake must complete within this time, else the socket is closed (a client that connects and sends nothing cannot hold a connection slot).',
    validate: atLeast(1),
  },
  {
    name: 'runnel.ssl.reload.check.interval.ms',
    type: 'int',
    default: 60000,
    doc: 'Runnel: how often the key and trust store files are checked for changes; a changed file is loaded for new connections without a restart (existing ones keep their session). A file that fails to load is logged and the previous certificates stay. 0 disables the check.',
    validate: atLeast(0),
  },
  {
    name: 'runnel.schema.registry.ssl.enabled',
    type: 'boolean',
    default: false,
    doc: 'Runnel: serve the schema registry REST API over HTTPS with the broker\'s key store (ssl.keystore.*, reloaded with it). Clients set schema.registry.ssl.* / an https:// URL.',
  },
  {
    name: 'runnel.admin.ssl.enabled',
    type: 'boolean',
    default: false,
    doc: 'Runnel: serve the admin endpoint (/metrics, /ready, /health) over HTTPS with the broker\'s key store.',
  },
  {
    name: 'runnel.http.basic.auth.users',
    type: 'password',
    default: null,
    doc: 'Runnel: HTTP Basic users of the schema registry and admin ports, comma-separated name:password:role with role read-only (reads, lookups, compatibility checks) or read-write. Set: every registry request must authenticate (401), a read-only user cannot write (403, error_code 40301), and the admin /metrics needs a user (/health and /ready stay open for probes). Confluent clients use basic.auth.credentials.source=USER_INFO with basic.auth.user.info=name:password. Passwords cannot contain a comma.',
  },
];
