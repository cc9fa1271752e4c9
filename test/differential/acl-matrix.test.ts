/**
 * Differential, ACLs (issue 20): the ACL matrix (test/security/acl-cases.ts) against Apache Kafka
 * and Runnel configured the same way — StandardAuthorizer, the same admin ACLs, the identity
 * User:ANONYMOUS from 127.0.0.2 — comparing the error each API answers without the ACL and that
 * both serve it with the ACL. Differences must be listed in KNOWN below, with why.
 *
 * Opt-in (RUNNEL_ACL_DIFFERENTIAL=1): a Kafka with an authorizer of its own, about a minute on a
 * loaded machine; the codes it gave are pinned in the matrix's `denied` column, which CI runs.
 * The same rows over SASL_SSL with SCRAM identities, compared field by field, run in CI in
 * sasl-ssl-acl.test.ts; this one remains for host-based ACLs on PLAINTEXT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorName } from '../../protocol/errors.js';
import { apacheKafkaAvailable, startApacheKafka, type ApacheKafka } from '../helpers/apache-kafka.js';
import { ADMIN_PLAINTEXT, ANONYMOUS_PLAINTEXT, AclEnv, G, MATRIX_BROKER_CONFIG, Op, T, clusterGrant, groupGrant, topicGrant } from '../security/acl-env.js';
import { CASES, runCase } from '../security/acl-cases.js';

/** Rows where Kafka answers differently, by row name: what Kafka answers, and why we differ. */
const KNOWN: Record<string, { kafka: string; why: string }> = {};

const AUTH = /AUTHORIZATION_FAILED$/;

describe.skipIf(!apacheKafkaAvailable() || !process.env.RUNNEL_ACL_DIFFERENTIAL)('differential: ACL matrix', () => {
  let kafka: ApacheKafka;
  let onKafka: AclEnv;
  let onRunnel: AclEnv;
  beforeAll(async () => {
    kafka = await startApacheKafka({ props: MATRIX_BROKER_CONFIG });
    onKafka = await AclEnv.over({ host: kafka.host, port: kafka.port }, ANONYMOUS_PLAINTEXT, ADMIN_PLAINTEXT, null, () => kafka.stop());
    onRunnel = await AclEnv.runnel();
  }, 200_000);
  afterAll(async () => {
    await onKafka?.stop();
    await onRunnel?.stop();
  });

  it('every row: the same refusal, and both serve it once granted', async () => {
    const differences: Record<string, string> = {};
    const notServed: string[] = [];
    for (const c of CASES) {
      await onKafka.revokeAll();
      await onRunnel.revokeAll();
      const k = await runCase(onKafka, c);
      const r = await runCase(onRunnel, c);
      if (k.refused !== r.refused) differences[c.name] = `kafka ${errorName(k.refused)}, runnel ${errorName(r.refused)}`;
      if (AUTH.test(errorName(k.served))) notServed.push(`${c.name}: kafka ${errorName(k.served)}`);
    }
    expect(notServed).toEqual([]);
    const expected = Object.fromEntries(Object.entries(KNOWN).map(([name, d]) => [name, `kafka ${d.kafka}, runnel ${errorName(CASES.find((c) => c.name === name)!.denied)}`]));
    expect(differences).toEqual(expected);
  }, 300_000);

  it('authorized-operations fields agree', async () => {
    const observe = async (env: AclEnv) => {
      await env.revokeAll();
      await env.grant([topicGrant(T, Op.READ), topicGrant(T, Op.ALTER_CONFIGS), groupGrant(G, Op.DELETE), clusterGrant(Op.DESCRIBE), clusterGrant(Op.IDEMPOTENT_WRITE)]);
      const md = await env.request(3, 10, { topics: [{ name: T, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });
      const groups = await env.request(15, 5, { groups: [G], includeAuthorizedOperations: true });
      const cluster = await env.request(60, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 });
      const dtp = await env.request(75, 0, { topics: [{ name: T }], responsePartitionLimit: 10, cursor: null });
      return {
        metadataTopic: md.topics[0].topicAuthorizedOperations,
        metadataCluster: md.clusterAuthorizedOperations,
        group: groups.groups[0].authorizedOperations,
        describeCluster: cluster.clusterAuthorizedOperations,
        describeTopicPartitions: dtp.topics[0].topicAuthorizedOperations,
      };
    };
    expect(await observe(onRunnel)).toEqual(await observe(onKafka));
  }, 60_000);
});
