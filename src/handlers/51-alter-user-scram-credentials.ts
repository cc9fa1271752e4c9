/**
 * AlterUserScramCredentials (key 51), version 0: adds, replaces and deletes users' SCRAM
 * credentials (`kafka-configs --entity-type users --alter --add-config 'SCRAM-SHA-512=[password=…]'`
 * or `--delete-config SCRAM-SHA-512`). The client sends salt + salted password; the broker keeps
 * salt, StoredKey, ServerKey and iterations (security/sasl/scram-store.ts: data dir on a single
 * node, etcd in a cluster).
 *
 * One result per user, with Kafka's checks and messages (ControllerApis / ScramControlManager):
 *   empty name                         UNACCEPTABLE_CREDENTIAL "Username must not be empty"
 *   mechanism not SCRAM-SHA-256/512    UNSUPPORTED_SASL_MECHANISM "Unknown SCRAM mechanism"
 *   iterations < 4096 / > 16384        UNACCEPTABLE_CREDENTIAL "Too few iterations" / "Too many iterations"
 *   empty salt or salted password      UNACCEPTABLE_CREDENTIAL
 *   same user+mechanism twice          DUPLICATE_RESOURCE "A user credential cannot be altered twice in the same request"
 *   deleting a missing credential      RESOURCE_NOT_FOUND "Attempt to delete a user credential that does not exist"
 * A user with any failing alteration gets none of its alterations applied; the others are applied
 * together.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): ALTER on the cluster, else
 * CLUSTER_AUTHORIZATION_FAILED for every user.
 */
import {
  newAlterUserScramCredentialsResponse,
  newAlterUserScramCredentialsResponseAlterUserScramCredentialsResult,
  type AlterUserScramCredentialsRequest,
  type AlterUserScramCredentialsResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, CLUSTER_AUTH_MESSAGE, canCluster } from './authz.js';
import {
  credentialFromSaltedPassword,
  SCRAM_MAX_ITERATIONS,
  SCRAM_MIN_ITERATIONS,
  scramMechanismOfCode,
} from '../security/sasl/scram-formulas.js';
import type { ScramChange } from '../security/sasl/scram-store.js';
import { javaHashMapOrder } from '../security/sasl/java-hash-order.js';
import { defineHandler } from './types.js';

interface Outcome {
  code: number;
  message: string | null;
}

export default defineHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>({
  key: 51,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const users = [...new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])];
    const result = (user: string, o: Outcome) => newAlterUserScramCredentialsResponseAlterUserScramCredentialsResult({ user, errorCode: o.code, errorMessage: o.message });
    if (!canCluster(ctx, AclOperation.ALTER)) {
      return newAlterUserScramCredentialsResponse({ throttleTimeMs: 0, results: users.map((u) => result(u, { code: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, message: CLUSTER_AUTH_MESSAGE })) });
    }
    const outcome = new Map<string, Outcome>();
    const failUser = (user: string, code: number, message: string) => {
      if (!outcome.has(user)) outcome.set(user, { code, message });
    };
    const changes = new Map<string, ScramChange[]>();
    const seen = new Set<string>();
    const add = (user: string, mechanismCode: number, build: () => ScramChange | string) => {
      if (user === '') return failUser(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      const mechanism = scramMechanismOfCode(mechanismCode);
      if (mechanism === null) return failUser(user, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
      const key = `${mechanism}\0${user}`;
      if (seen.has(key)) return failUser(user, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
      seen.add(key);
      const change = build();
      if (typeof change === 'string') return failUser(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, change);
      changes.set(user, [...(changes.get(user) ?? []), change]);
    };
    for (const d of req.deletions) add(d.name, d.mechanism, () => ({ user: d.name, mechanism: scramMechanismOfCode(d.mechanism)!, credential: null }));
    for (const u of req.upsertions) {
      add(u.name, u.mechanism, () => {
        if (u.iterations < SCRAM_MIN_ITERATIONS) return 'Too few iterations';
        if (u.iterations > SCRAM_MAX_ITERATIONS) return 'Too many iterations';
        if (u.salt.length === 0) return 'Salt must not be empty';
        if (u.saltedPassword.length === 0) return 'Salted password must not be empty';
        const mechanism = scramMechanismOfCode(u.mechanism)!;
        return { user: u.name, mechanism, credential: credentialFromSaltedPassword(mechanism, Buffer.from(u.salt), Buffer.from(u.saltedPassword), u.iterations) };
      });
    }
    // Deleting what does not exist fails the user (read before writing).
    const deleting = [...changes].filter(([user, list]) => !outcome.has(user) && list.some((c) => c.credential === null)).map(([user]) => user);
    if (deleting.length > 0) {
      const existing = await ctx.scramCredentials.describe(deleting);
      for (const user of deleting) {
        for (const c of changes.get(user)!) {
          if (c.credential === null && !existing.get(user)?.has(c.mechanism)) failUser(user, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
        }
      }
    }
    const apply = [...changes].filter(([user]) => !outcome.has(user)).flatMap(([, list]) => list);
    if (apply.length > 0) await ctx.scramCredentials.apply(apply);
    // In Kafka's order: its results come out of a HashMap keyed by user.
    return newAlterUserScramCredentialsResponse({ throttleTimeMs: 0, results: javaHashMapOrder(users).map((u) => result(u, outcome.get(u) ?? { code: ErrorCode.NONE, message: null })) });
  },
  errorResponse(_ctx, req, code, message) {
    const users = [...new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])];
    return newAlterUserScramCredentialsResponse({
      throttleTimeMs: 0,
      results: users.map((user) => newAlterUserScramCredentialsResponseAlterUserScramCredentialsResult({ user, errorCode: code, errorMessage: message })),
    });
  },
});
