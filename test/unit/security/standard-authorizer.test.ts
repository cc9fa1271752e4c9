/**
 * StandardAuthorizer's decisions (Kafka's semantics) and its ACL management over a FileAclStore:
 * patterns, DENY over ALLOW, implied operations, principals and hosts, super users,
 * allow.everyone.if.no.acl.found, authorizeAny (KIP-679), filters (ANY, MATCH), limits, and a
 * failed write that leaves the ACLs in force unchanged.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { FaultyFs } from '../../../storage/fs.js';
import { silentLogger } from '../../../src/logger.js';
import { ACL_FILE, FileAclStore } from '../../../src/security/acl-store.js';
import { type AclBinding, PatternType, PermissionType } from '../../../src/security/acl-model.js';
import { AclOperation as Op, AclResourceType as R, type Principal } from '../../../src/security/authorizer.js';
import { DenialAudit } from '../../../src/security/denial-audit.js';
import { StandardAuthorizer } from '../../../src/security/standard-authorizer.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

async function authorizer(o: { superUsers?: string; allowEveryone?: boolean; maxAcls?: number; fs?: FaultyFs } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'acl-'));
  dirs.push(dir);
  const fs = o.fs ?? new FaultyFs();
  const a = await StandardAuthorizer.open({
    store: new FileAclStore(fs, dir),
    superUsers: o.superUsers ?? '',
    allowEveryoneIfNoAclFound: o.allowEveryone ?? false,
    maxAcls: o.maxAcls ?? 100,
    cacheMaxEntries: 2,
    audit: new DenialAudit(silentLogger(), 0),
    log: silentLogger(),
  });
  return { a, dir, fs };
}

const alice: Principal = { type: 'User', name: 'alice', host: '10.0.0.1' };
const bob: Principal = { type: 'User', name: 'bob', host: '10.0.0.2' };
const acl = (p: Partial<AclBinding>): AclBinding => ({
  resourceType: R.TOPIC,
  resourceName: 'orders',
  patternType: PatternType.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: Op.READ,
  permissionType: PermissionType.ALLOW,
  ...p,
});
const topic = (name: string) => ({ type: R.TOPIC, name });
const ANY_FILTER = { resourceType: 1, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: 1, permissionType: 1 };

describe('decisions', () => {
  it('literal, wildcard and prefixed patterns; other principals and hosts do not match', async () => {
    const { a } = await authorizer();
    await a.create([acl({}), acl({ resourceName: '*', operation: Op.WRITE }), acl({ resourceName: 'logs-', patternType: PatternType.PREFIXED, operation: Op.DELETE, principal: 'User:*', host: '10.0.0.2' })]);
    expect(a.authorize(alice, Op.READ, topic('orders'))).toBe(true);
    expect(a.authorize(alice, Op.READ, topic('other'))).toBe(false);
    expect(a.authorize(alice, Op.WRITE, topic('anything'))).toBe(true);
    expect(a.authorize(bob, Op.READ, topic('orders'))).toBe(false);
    expect(a.authorize(bob, Op.DELETE, topic('logs-2024'))).toBe(true);
    expect(a.authorize(alice, Op.DELETE, topic('logs-2024'))).toBe(false); // host
    expect(a.authorize(bob, Op.DELETE, topic('log'))).toBe(false);
    expect(a.authorize({ ...bob, host: '::ffff:10.0.0.2' }, Op.DELETE, topic('logs-1'))).toBe(true);
  });

  it('DENY wins; implied operations come from ALLOW only; ALL covers every operation', async () => {
    const { a } = await authorizer();
    await a.create([acl({ operation: Op.ALTER_CONFIGS }), acl({ operation: Op.WRITE })]);
    expect(a.authorize(alice, Op.DESCRIBE, topic('orders'))).toBe(true);
    expect(a.authorize(alice, Op.DESCRIBE_CONFIGS, topic('orders'))).toBe(true);
    expect(a.authorize(alice, Op.READ, topic('orders'))).toBe(false);
    await a.create([acl({ operation: Op.DESCRIBE, permissionType: PermissionType.DENY })]);
    expect(a.authorize(alice, Op.DESCRIBE, topic('orders'))).toBe(false);
    expect(a.authorize(alice, Op.WRITE, topic('orders'))).toBe(true); // a DENY of DESCRIBE does not deny WRITE
    await a.create([acl({ resourceName: 'o', patternType: PatternType.PREFIXED, operation: Op.ALL, permissionType: PermissionType.DENY })]);
    expect(a.authorize(alice, Op.WRITE, topic('orders'))).toBe(false);
    expect(a.authorizedOperations(alice, topic('orders'))).toBe(0);
  });

  it('super users and allow.everyone.if.no.acl.found', async () => {
    const { a } = await authorizer({ superUsers: 'User:bob; User:carol', allowEveryone: true });
    expect(a.authorize(bob, Op.ALTER, { type: R.CLUSTER, name: 'kafka-cluster' })).toBe(true);
    expect(a.authorize(alice, Op.READ, topic('free'))).toBe(true);
    await a.create([acl({ resourceName: 'free', principal: 'User:dave' })]);
    expect(a.authorize(alice, Op.READ, topic('free'))).toBe(false);
    expect(a.authorize(bob, Op.READ, topic('free'))).toBe(true);
  });

  it('authorizeAny: some topic allows WRITE unless a DENY covers it', async () => {
    const { a } = await authorizer();
    expect(a.authorizeAny(alice, Op.WRITE, R.TOPIC)).toBe(false);
    await a.create([acl({ resourceName: 'in-', patternType: PatternType.PREFIXED, operation: Op.WRITE })]);
    expect(a.authorizeAny(alice, Op.WRITE, R.TOPIC)).toBe(true);
    await a.create([acl({ resourceName: 'in', patternType: PatternType.PREFIXED, operation: Op.WRITE, permissionType: PermissionType.DENY })]);
    expect(a.authorizeAny(alice, Op.WRITE, R.TOPIC)).toBe(false);
  });
});

describe('ACL management', () => {
  it('creates idempotently, validates, filters with ANY and MATCH, deletes, and persists', async () => {
    const { a, dir } = await authorizer();
    const results = await a.create([acl({}), acl({}), acl({ resourceType: R.CLUSTER, resourceName: 'x' }), acl({ principal: 'alice' }), acl({ patternType: PatternType.MATCH })]);
    expect(results.map((r) => r?.code ?? 0)).toEqual([0, 0, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    await a.create([acl({ resourceName: 'ord', patternType: PatternType.PREFIXED }), acl({ resourceName: '*' })]);
    expect(a.describe(ANY_FILTER)).toHaveLength(3);
    expect(a.describe({ ...ANY_FILTER, resourceName: 'orders', patternType: PatternType.MATCH })).toHaveLength(3);
    expect(a.describe({ ...ANY_FILTER, resourceName: 'orders', patternType: PatternType.LITERAL })).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, ACL_FILE), 'utf8')).acls).toHaveLength(3);
    const [d] = await a.delete([{ ...ANY_FILTER, patternType: PatternType.PREFIXED }]);
    expect(d!.deleted).toHaveLength(1);
    const [bad] = await a.delete([{ ...ANY_FILTER, operation: 99 }]);
    expect(bad!.error?.code).toBe(ErrorCode.INVALID_REQUEST);
    expect(a.size).toBe(2);
  });

  it('runnel.authorizer.max.acls: POLICY_VIOLATION past the limit, nothing stored', async () => {
    const { a } = await authorizer({ maxAcls: 2 });
    expect(await a.create([acl({}), acl({ operation: Op.WRITE })])).toEqual([null, null]);
    const [r] = await a.create([acl({ operation: Op.DELETE })]);
    expect(r?.code).toBe(ErrorCode.POLICY_VIOLATION);
    expect(a.size).toBe(2);
  });

  it('a failed write (EIO) leaves the ACLs in force and on disk as they were', async () => {
    const fs = new FaultyFs();
    const { a } = await authorizer({ fs });
    await a.create([acl({})]);
    fs.failNextWrite('EIO');
    const [r] = await a.create([acl({ resourceName: 'more' })]);
    expect(r?.code).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(a.authorize(alice, Op.READ, topic('more'))).toBe(false);
    expect(a.size).toBe(1);
    expect(await a.create([acl({ resourceName: 'more' })])).toEqual([null]);
  });
});
