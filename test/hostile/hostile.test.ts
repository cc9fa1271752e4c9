/**
 * Issue 14 acceptance: hostile clients, raw frames over real sockets, against a broker child
 * process. Each case is one attack run through `Session.attack()` (harness.ts): during it the
 * broker's RSS stays under LIMITS.rssBytes, the ApiVersions canary on its own connection answers
 * within LIMITS.canaryMs at the worst moment, and the kafkajs producer/consumer pair running
 * alongside loses no acknowledged record. Some cases add their own expectations (Kafka's error
 * code, a restart that must succeed, CPU that must stay low).
 *
 * Most cases share one broker; cases that destroy state (restarts, internal topics, runaway topic
 * creation) get a fresh one. A case that kills the shared broker is reported as such, and the next
 * case starts a fresh broker, so one crash does not fail the rest.
 *
 * The cases live in cases/, one module per theme; this file opens the shared broker and runs them
 * in one file, in this order (vitest runs test files in parallel, and the attacks' latency and
 * memory bounds need the machine to themselves):
 *   cases/connections.ts      framing, slow and never-reading clients, the connection cap (last)
 *   cases/data-path.ts        Produce and Fetch: parked fetches, lying batches, bombs, races
 *   cases/request-bodies.ts   huge counts, length overflows, tag floods, fan-out, SASL
 *   cases/coordinators.ts     groups, transactions, offsets, the schema registry
 *   cases/own-broker.ts       cases that destroy state, each on a broker of its own
 *   cases/common.ts           what they share
 */
import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import { Session } from './harness.js';
import { CASE_TIMEOUT } from './cases/common.js';
import { connectionAttacks, connectionCapAttack } from './cases/connections.js';
import { coordinatorAttacks } from './cases/coordinators.js';
import { dataPathAttacks } from './cases/data-path.js';
import { ownBrokerAttacks } from './cases/own-broker.js';
import { requestBodyAttacks } from './cases/request-bodies.js';

describe('hostile clients against a shared broker', () => {
  let s: Session;
  beforeAll(async () => {
    s = await Session.open();
  }, CASE_TIMEOUT);
  beforeEach(async () => {
    await s.ensureUp();
  }, CASE_TIMEOUT);
  afterAll(async () => {
    await s?.close();
  });

  const session = (): Session => s;
  connectionAttacks(session);
  dataPathAttacks(session);
  requestBodyAttacks(session);
  coordinatorAttacks(session);
  connectionCapAttack(session);
});

describe('hostile clients that need a broker of their own', () => {
  ownBrokerAttacks();
});
