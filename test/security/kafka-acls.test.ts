/**
 * Issue 20, ACLs with Kafka's own tools and config: `kafka-acls --add/--list/--remove` round trip
 * against a broker started with authorizer.class.name=StandardAuthorizer (the CLI connects as
 * User:ANONYMOUS on PLAINTEXT, made a super user here), the ACLs surviving a restart (data dir
 * file), super.users and allow.everyone.if.no.acl.found, and the denial audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, tempDir, type TestBroker } from '../helpers/broker.js';
import { ensureJavaBuilt, runKafkaTool, type JavaResult } from '../helpers/java.js';
import { RawClient } from '../helpers/raw-client.js';
import { STANDARD_AUTHORIZER } from './acl-env.js';

const output = (r: JavaResult) =>
  (r.stdout + r.stderr)
    .split('\n')
    .filter((l) => !l.startsWith('SLF4J'))
    .join('\n');

async function metadataError(b: TestBroker, topic: string): Promise<number> {
  const c = await RawClient.connect(b.host, b.port);
  try {
    const r = await c.request(3, 12, { topics: [{ name: topic, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false });
    return r.topics[0].errorCode;
  } finally {
    c.close();
  }
}

describe('kafka-acls round trip', () => {
  let broker: TestBroker;
  const dataDir = tempDir('acls');
  const config = { 'authorizer.class.name': STANDARD_AUTHORIZER, 'super.users': 'User:admin;User:ANONYMOUS' };

  beforeAll(async () => {
    await ensureJavaBuilt();
    broker = await startTestBroker({ dataDir, keepData: true, config });
  });
  afterAll(async () => {
    await broker?.cleanup();
  });

  const acls = (args: string[]) => runKafkaTool('AclCommand', ['--bootstrap-server', broker.bootstrap, ...args]);

  it('--add, --list, --remove; the ACLs survive a restart', async () => {
    const add = await acls(['--add', '--allow-principal', 'User:alice', '--operation', 'Read', '--operation', 'Describe', '--topic', 'orders']);
    expect(add.code, output(add)).toBe(0);
    expect(output(add)).toContain('ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)');
    const addPrefixed = await acls(['--add', '--deny-principal', 'User:mallory', '--deny-host', '10.0.0.1', '--operation', 'All', '--group', 'app-', '--resource-pattern-type', 'prefixed']);
    expect(addPrefixed.code, output(addPrefixed)).toBe(0);

    // The convenience options: several bindings per CreateAcls request, cluster and transactional ids too.
    const producer = await acls(['--add', '--allow-principal', 'User:bob', '--producer', '--topic', 'events', '--transactional-id', 'tx-bob', '--idempotent']);
    expect(producer.code, output(producer)).toBe(0);

    const list = await acls(['--list']);
    expect(list.code, output(list)).toBe(0);
    const text = output(list);
    expect(text).toContain('Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)`');
    expect(text).toContain('(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)');
    expect(text).toContain('(principal=User:alice, host=*, operation=DESCRIBE, permissionType=ALLOW)');
    expect(text).toContain('ResourcePattern(resourceType=GROUP, name=app-, patternType=PREFIXED)');
    expect(text).toContain('(principal=User:mallory, host=10.0.0.1, operation=ALL, permissionType=DENY)');
    expect(text).toContain('ResourcePattern(resourceType=TRANSACTIONAL_ID, name=tx-bob, patternType=LITERAL)');
    expect(text).toContain('ResourcePattern(resourceType=CLUSTER, name=kafka-cluster, patternType=LITERAL)');
    expect(text).toContain('(principal=User:bob, host=*, operation=IDEMPOTENT_WRITE, permissionType=ALLOW)');
    for (const op of ['WRITE', 'DESCRIBE', 'CREATE']) expect(text).toContain(`(principal=User:bob, host=*, operation=${op}, permissionType=ALLOW)`);

    // Restart on the same data dir: the ACLs come back from runnel-acls.json.
    await broker.stop();
    broker = await startTestBroker({ dataDir, keepData: true, config });
    const afterRestart = output(await acls(['--list', '--topic', 'orders']));
    expect(afterRestart).toContain('(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)');
    expect(afterRestart).not.toContain('GROUP');

    const remove = await acls(['--remove', '--force', '--topic', 'orders']);
    expect(remove.code, output(remove)).toBe(0);
    const rest = output(await acls(['--list']));
    expect(rest).not.toContain('name=orders');
    expect(rest).toContain('name=app-, patternType=PREFIXED');
  });

  it('an invalid binding is refused with Kafka\'s error, nothing stored', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    try {
      const r = await c.request(30, 3, { creations: [{ resourceType: 4, resourceName: 'not-the-cluster', resourcePatternType: 3, principal: 'User:x', host: '*', operation: 3, permissionType: 3 }] });
      expect(r.results[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
      const bad = await c.request(30, 3, { creations: [{ resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'alice', host: '*', operation: 3, permissionType: 3 }] });
      expect(bad.results[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
      const d = await c.request(29, 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: 'User:x', hostFilter: null, operation: 1, permissionType: 1 });
      expect(d.resources).toEqual([]);
    } finally {
      c.close();
    }
  });
});

describe('ACL APIs at every version (v0-3)', () => {
  it('CreateAcls/DescribeAcls/DeleteAcls v0 see LITERAL bindings only; v1+ pattern types', async () => {
    const b = await startTestBroker({ config: { 'authorizer.class.name': STANDARD_AUTHORIZER, 'super.users': 'User:ANONYMOUS' } });
    const c = await RawClient.connect(b.host, b.port);
    try {
      const creation = (name: string, resourcePatternType: number) => ({ resourceType: 2, resourceName: name, resourcePatternType, principal: 'User:v', host: '*', operation: 3, permissionType: 3 });
      const filter = { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: 'User:v', hostFilter: null, operation: 1, permissionType: 1 };
      for (const v of [0, 1, 2, 3]) {
        const r = await c.request(30, v, { creations: [creation(`lit-${v}`, 3), ...(v >= 1 ? [creation(`pre-${v}-`, 4)] : [])] });
        expect(r.results.map((x: any) => x.errorCode)).toEqual(v >= 1 ? [0, 0] : [0]);
      }
      const names = (r: any) => r.resources.map((x: any) => `${x.resourceName}/${x.patternType ?? 3}`).sort();
      const v0 = await c.request(29, 0, filter);
      expect(names(v0)).toEqual(['lit-0/3', 'lit-1/3', 'lit-2/3', 'lit-3/3']);
      const v3 = await c.request(29, 3, filter);
      expect(names(v3)).toEqual(['lit-0/3', 'lit-1/3', 'lit-2/3', 'lit-3/3', 'pre-1-/4', 'pre-2-/4', 'pre-3-/4']);
      const del0 = await c.request(31, 0, { filters: [{ ...filter, resourceNameFilter: 'lit-0' }] });
      expect(del0.filterResults[0].matchingAcls).toHaveLength(1);
      // MATCH (2): every binding that applies to the name, literal and prefixed.
      const del1 = await c.request(31, 1, { filters: [{ ...filter, resourceNameFilter: 'pre-1-x', patternTypeFilter: 2 }] });
      expect(del1.filterResults[0].matchingAcls.map((m: any) => m.resourceName)).toEqual(['pre-1-']);
      expect(names(await c.request(29, 2, filter))).toHaveLength(5);
    } finally {
      c.close();
      await b.cleanup();
    }
  });
});

describe('super.users and allow.everyone.if.no.acl.found', () => {
  it('a super user is allowed everything; others are refused without ACLs', async () => {
    const su = await startTestBroker({ config: { 'authorizer.class.name': STANDARD_AUTHORIZER, 'super.users': 'User:ANONYMOUS' } });
    const plain = await startTestBroker({ config: { 'authorizer.class.name': STANDARD_AUTHORIZER, 'super.users': 'User:admin' } });
    try {
      expect(await metadataError(su, 'anything')).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      expect(await metadataError(plain, 'anything')).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    } finally {
      await su.cleanup();
      await plain.cleanup();
    }
  });

  it('allow.everyone.if.no.acl.found: open until the resource has an ACL (for anyone)', async () => {
    const b = await startTestBroker({ config: { 'authorizer.class.name': STANDARD_AUTHORIZER, 'allow.everyone.if.no.acl.found': true } });
    try {
      expect(await metadataError(b, 'open')).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      await b.broker.authorizer.acls!.create([{ resourceType: 2, resourceName: 'open', patternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 }]);
      expect(await metadataError(b, 'open')).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    } finally {
      await b.cleanup();
    }
  });

  it('denials are audited, rate limited, with the principal and resource and no payload', async () => {
    const lines: any[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
        cb();
      },
    });
    const b = await startTestBroker({ logger: pino({ level: 'warn' }, sink) as never, config: { 'authorizer.class.name': STANDARD_AUTHORIZER, 'runnel.authorizer.denial.log.per.second': 3 } });
    try {
      for (let i = 0; i < 10; i++) expect(await metadataError(b, `secret-${i}`)).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      const denials = lines.filter((l) => l.audit === 'authorization');
      expect(denials.length).toBeGreaterThanOrEqual(3);
      expect(denials.length).toBeLessThan(10);
      expect(denials[0]).toMatchObject({ principal: 'User:ANONYMOUS', operation: 'DESCRIBE', resourceType: 'TOPIC', resourceName: 'secret-0', msg: 'authorization denied' });
    } finally {
      await b.cleanup();
    }
  });
});
