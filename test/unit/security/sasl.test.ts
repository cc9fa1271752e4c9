/**
 * SASL pieces without sockets: the JAAS parser, listener-prefixed config keys and the startup
 * checks, the mechanisms' refusals of malformed or hostile messages, and the audit log's rate
 * limit.
 */
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { BrokerConfig, optionsLayer } from '../../../src/config/broker-config.js';
import { parseJaasConfig } from '../../../src/config/jaas.js';
import { PlainExchange, PlainUsers } from '../../../src/security/sasl/plain.js';
import { ScramExchange } from '../../../src/security/sasl/scram.js';
import { AuthAudit } from '../../../src/security/sasl/audit.js';
import { SaslFailure } from '../../../src/security/sasl/exchange.js';
import { credentialFromPassword } from '../../../src/security/sasl/scram-formulas.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";';
const base = { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'listener.security.protocol.map': 'SASL_PLAINTEXT:SASL_PLAINTEXT' };
const config = (raw: Record<string, string | number>) => new BrokerConfig([optionsLayer(raw)]);

describe('JAAS config', () => {
  it('parses a login module entry: flag, words and quoted values with escapes', () => {
    const e = parseJaasConfig('org.x.PlainLoginModule  required\n username="ad\\"min" password=secret user_bob="b=b;";');
    expect(e.loginModule).toBe('org.x.PlainLoginModule');
    expect(e.flag).toBe('required');
    expect([...e.options]).toEqual([['username', 'ad"min'], ['password', 'secret'], ['user_bob', 'b=b;']]);
  });

  it.each([
    ['org.x.M required a="1"', "must end with ';'"],
    ['org.x.M always a="1";', 'control flag'],
    ['org.x.M required a;', "expected '='"],
    ['org.x.M required a="1"; org.y.M required;', 'exactly one'],
    ['org.x.M required a="1;', 'unterminated'],
  ])('refuses %j', (text, message) => {
    expect(() => parseJaasConfig(text)).toThrow(message);
  });
});

describe('SASL config keys', () => {
  it('reads listener.name.<l>.<mechanism>.<key> before listener.name.<l>.<key> before the key', () => {
    const c = config({
      ...base,
      'sasl.enabled.mechanisms': 'SCRAM-SHA-256',
      'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'PLAIN',
      'sasl.jaas.config': 'org.Other required;',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
      'connections.max.reauth.ms': 5000,
    });
    expect(c.listenerValue('SASL_PLAINTEXT', null, 'sasl.enabled.mechanisms')).toEqual(['PLAIN']);
    expect(c.listenerValue('SASL_PLAINTEXT', 'PLAIN', 'sasl.jaas.config')).toBe(JAAS);
    expect(c.listenerValue('SASL_PLAINTEXT', 'SCRAM-SHA-256', 'sasl.jaas.config')).toBe('org.Other required;');
    expect(c.listenerValue('OTHER', null, 'connections.max.reauth.ms')).toBe(5000);
  });

  it('accepts Kafka\'s other SASL keys (Kerberos, login, OAuth client) with a warning, globally and per listener and mechanism', () => {
    const c = config({
      ...base,
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'sasl.kerberos.service.name': 'kafka',
      'listener.name.sasl_plaintext.oauthbearer.sasl.login.callback.handler.class': 'org.x.Handler',
      'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms': 5000,
    });
    expect(c.warnings).toEqual(expect.arrayContaining([expect.stringContaining('sasl.kerberos.service.name (from options) has no effect')]));
    expect(c.warnings).toHaveLength(3);
  });

  it('refuses unknown listener-prefixed keys and invalid values', () => {
    expect(() => config({ ...base, 'sasl.enabled.mechanisms': 'PLAIN', 'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS, 'listener.name.sasl_plaintext.no.such': 'x' })).toThrow("Unknown configuration 'listener.name.sasl_plaintext.no.such'");
    expect(() => config({ ...base, 'sasl.enabled.mechanisms': 'PLAIN,KERBEROS5' })).toThrow("'KERBEROS5' is not a SASL mechanism");
    expect(() => config({ ...base, 'sasl.enabled.mechanisms': 'OAUTHBEARER', 'sasl.oauthbearer.jwks.endpoint.url': 'ldap://idp/jwks' })).toThrow('must be a file:, https: or http: URL');
  });

  it('stops the start of a SASL listener that cannot authenticate anyone', () => {
    expect(() => config(base)).toThrow('enables no mechanism Runnel serves');
    expect(() => config({ ...base, 'sasl.enabled.mechanisms': 'PLAIN' })).toThrow('listener.name.sasl_plaintext.plain.sasl.jaas.config');
    expect(() => config({ ...base, 'sasl.enabled.mechanisms': 'PLAIN', 'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'org.x.ScramLoginModule required;' })).toThrow('needs org.apache.kafka.common.security.plain.PlainLoginModule');
    expect(() => config({ ...base, 'sasl.enabled.mechanisms': 'OAUTHBEARER' })).toThrow('never accepts unsigned tokens');
    expect(() => config({ ...base, 'sasl.enabled.mechanisms': 'SCRAM-SHA-512' })).not.toThrow();
  });

  it('in a cluster, a SASL inter-broker listener needs an enabled PLAIN/SCRAM mechanism and credentials', () => {
    const cluster = { ...base, 'runnel.etcd.endpoints': 'http://127.0.0.1:2379', 'sasl.enabled.mechanisms': 'SCRAM-SHA-512' };
    expect(() => config(cluster)).toThrow('sasl.mechanism.inter.broker.protocol (GSSAPI) must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512');
    expect(() => config({ ...cluster, 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512' })).toThrow("must give this broker's username and password");
    expect(() =>
      config({ ...cluster, 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512', 'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': 'org.x.ScramLoginModule required username="b" password="p";' }),
    ).not.toThrow();
  });
});

const failure = async (p: Promise<unknown> | (() => unknown)) => {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as SaslFailure;
  }
  throw new Error('did not fail');
};

describe('PLAIN', () => {
  const users = new PlainUsers(new Map([['alice', 'alice-secret']]));
  it.each([
    ['no separators', 'alice', 'expected 3 tokens'],
    ['too many separators', '\0alice\0pw\0x', 'expected 3 tokens'],
    ['empty user', '\0\0pw', 'username not specified'],
    ['empty password', '\0alice\0', 'password not specified'],
    ['another authzid', 'bob\0alice\0alice-secret', 'authorization id that is different'],
  ])('refuses %s', async (_name, token, message) => {
    const err = await failure(() => new PlainExchange(users).evaluate(Buffer.from(token)));
    expect(err).toBeInstanceOf(SaslFailure);
    expect(err.message).toContain(message);
  });
});

describe('SCRAM', () => {
  const stored = credentialFromPassword('SCRAM-SHA-256', 'pw', Buffer.from('salt'), 4096);
  const exchange = () => new ScramExchange('SCRAM-SHA-256', async (u) => (u === 'bob' ? stored : null));
  it.each([
    ['channel binding', 'p=tls-unique,,n=bob,r=abc', 'channel binding is not supported'],
    ['no user', 'n,,r=abc', 'Invalid SCRAM-SHA-256 message'],
    ['a bad saslname escape', 'n,,n=b=ob,r=abc', 'user name'],
    ['delegation tokens', 'n,,n=bob,r=abc,tokenauth=true', 'delegation tokens are not supported'],
    ['another authzid', 'n,a=eve,n=bob,r=abc', 'authorization id that is different'],
    ['garbage', '\u0000\u0001', 'Invalid SCRAM-SHA-256 message'],
  ])('refuses a client-first message with %s', async (_name, msg, message) => {
    const err = await failure(exchange().evaluate(Buffer.from(msg)));
    expect(err).toBeInstanceOf(SaslFailure);
    expect(err.message).toContain(message);
  });

  it('gives an unknown user a stable fake salt and the standard iterations', async () => {
    const a = (await exchange().evaluate(Buffer.from('n,,n=nobody,r=abc'))).toString();
    const b = (await exchange().evaluate(Buffer.from('n,,n=nobody,r=xyz'))).toString();
    expect(a.split(',').slice(1)).toEqual(b.split(',').slice(1));
    expect(a).toMatch(/,i=4096$/);
  });

  it('refuses a client-final message with a wrong channel-binding field', async () => {
    const x = exchange();
    const first = (await x.evaluate(Buffer.from('n,,n=bob,r=abc'))).toString();
    const nonce = first.split(',')[0]!.slice(2);
    const err = await failure(x.evaluate(Buffer.from(`c=eSws,r=${nonce},p=AAAA`)));
    expect(err.message).toContain('channel binding');
  });
});

describe('audit log', () => {
  it('logs at most N failures a second and reports how many it suppressed', () => {
    const lines: any[] = [];
    const sink = new Writable({ write: (c: Buffer, _e, cb) => (lines.push(JSON.parse(c.toString())), cb()) });
    let now = 0;
    const audit = new AuthAudit(pino({ level: 'info' }, sink), 2, () => now);
    const f = { listener: 'L', remote: '1.2.3.4:5', mechanism: 'PLAIN', user: 'u', reason: 'invalid credentials' };
    for (let i = 0; i < 5; i++) audit.failed(f);
    now = 1000;
    audit.failed(f);
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        expect(lines.map((l) => l.suppressed ?? 0)).toEqual([0, 0, 3]);
        expect(audit.failures).toBe(6);
        resolve();
      }),
    );
  });
});

describe('Java HashMap order (Kafka lists these out of HashMaps)', () => {
  it('matches the orders Apache Kafka 4.4 answered with', async () => {
    const { javaHashMapOrder } = await import('../../../src/security/sasl/java-hash-order.js');
    // SaslHandshake mechanisms for sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512.
    expect(javaHashMapOrder(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])).toEqual(['PLAIN', 'SCRAM-SHA-512', 'SCRAM-SHA-256']);
    // AlterUserScramCredentials results (test/differential/sasl.test.ts).
    expect(javaHashMapOrder(['ghost', '', 'dave', 'erin', 'frank', 'gina'])).toEqual(['', 'frank', 'dave', 'ghost', 'gina', 'erin']);
    // Past 12 keys the table doubles.
    expect(javaHashMapOrder(Array.from({ length: 13 }, (_, i) => `u${i}`))).toHaveLength(13);
  });
});
