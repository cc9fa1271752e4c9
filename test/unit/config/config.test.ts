import { describe, expect, it } from 'vitest';
import { BrokerConfig, envKeyToConfigKey, envLayer, optionsLayer, parseProperties, ConfigSource } from '../../../src/config/broker-config.js';
import { parseArgs } from '../../../src/config/cli-args.js';
import { parseTopicConfigs, resolveTopicConfig } from '../../../src/config/topic-config.js';
import { ConfigError } from '../../../src/config/values.js';

describe('environment names', () => {
  it('maps KAFKA_ variables as the Apache image does', () => {
    expect(envKeyToConfigKey('KAFKA_LOG_RETENTION_MS')).toBe('log.retention.ms');
    expect(envKeyToConfigKey('KAFKA_NODE_ID')).toBe('node.id');
    expect(envKeyToConfigKey('KAFKA_SOME__UNDERSCORE')).toBe('some_underscore');
    expect(envKeyToConfigKey('KAFKA_WITH___DASH')).toBe('with-dash');
    expect(envKeyToConfigKey('KAFKA_HEAP_OPTS')).toBeNull();
    expect(envKeyToConfigKey('PATH')).toBeNull();
  });
});

describe('server.properties', () => {
  it('parses comments, separators and continuations', () => {
    const p = parseProperties('# comment\n! also\nnum.partitions=3\nlog.dirs : /a,/b\nlisteners PLAINTEXT://h:1\nlong.key=a\\\n  b\n');
    expect(Object.fromEntries(p)).toEqual({ 'num.partitions': '3', 'log.dirs': '/a,/b', listeners: 'PLAINTEXT://h:1', 'long.key': 'ab' });
  });
});

describe('layering and validation', () => {
  it('lets later layers win: file < env < flags', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'server.properties');
    writeFileSync(file, 'num.partitions=2\nlog.retention.hours=10\nmessage.max.bytes=5000\n');
    const layers = await parseArgs([file, '--override', 'message.max.bytes=7000', '--log.retention.hours=11'], { KAFKA_NUM_PARTITIONS: '4', KAFKA_LOG_RETENTION_HOURS: '12' });
    const c = new BrokerConfig(layers);
    expect(c.int('num.partitions')).toBe(4);
    expect(c.int('log.retention.hours')).toBe(11);
    expect(c.int('message.max.bytes')).toBe(7000);
    expect(c.source('num.partitions')).toBe(ConfigSource.STATIC_BROKER_CONFIG);
    expect(c.source('log.segment.bytes')).toBe(ConfigSource.DEFAULT_CONFIG);
  });

  it('rejects unknown keys naming the key', () => {
    expect(() => new BrokerConfig([optionsLayer({ 'no.such.key': 1 })])).toThrow(/Unknown configuration 'no.such.key'/);
    expect(() => new BrokerConfig([envLayer({ KAFKA_BOGUS_THING: 'x' })])).toThrow(/bogus.thing/);
  });

  it('rejects invalid values naming the key', () => {
    expect(() => new BrokerConfig([optionsLayer({ 'num.partitions': 'three' })])).toThrow(/num.partitions.*not an integer/);
    expect(() => new BrokerConfig([optionsLayer({ 'num.partitions': 0 })])).toThrow(/num.partitions.*at least 1/);
    expect(() => new BrokerConfig([optionsLayer({ 'auto.create.topics.enable': 'yes' })])).toThrow(/auto.create.topics.enable/);
    expect(() => new BrokerConfig([optionsLayer({ listeners: 'localhost:9092' })])).toThrow(/listeners/);
    expect(() => new BrokerConfig([optionsLayer({ 'log.cleanup.policy': 'shred' })])).toThrow(/log.cleanup.policy/);
    try {
      new BrokerConfig([optionsLayer({ 'message.max.bytes': 'x' })]);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).key).toBe('message.max.bytes');
    }
  });

  it('accepts Kafka-only keys with a warning', () => {
    const c = new BrokerConfig([optionsLayer({ 'num.network.threads': 3, 'process.roles': 'broker,controller' })]);
    expect(c.warnings).toHaveLength(2);
  });

  it('derives retention and roll from the ms/minutes/hours family', () => {
    expect(new BrokerConfig([]).retentionMs()).toBe(168 * 3600000);
    expect(new BrokerConfig([optionsLayer({ 'log.retention.minutes': 5 })]).retentionMs()).toBe(300000);
    expect(new BrokerConfig([optionsLayer({ 'log.retention.minutes': 5, 'log.retention.ms': 7 })]).retentionMs()).toBe(7);
  });

  it('applies dynamic overrides above static values and refuses static-only keys', () => {
    const c = new BrokerConfig([optionsLayer({ 'message.max.bytes': 1000 })]);
    c.setDynamic('message.max.bytes', '2000', false);
    expect(c.int('message.max.bytes')).toBe(2000);
    expect(c.source('message.max.bytes')).toBe(ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
    c.setDynamic('message.max.bytes', '3000', true);
    expect(c.source('message.max.bytes')).toBe(ConfigSource.DYNAMIC_BROKER_CONFIG);
    expect(c.synonyms('message.max.bytes').map((s) => s.source)).toEqual([2, 3, 4, 5]);
    expect(() => c.setDynamic('listeners', 'PLAINTEXT://x:1', true)).toThrow(/dynamically/);
  });
});

describe('cluster keys', () => {
  it('single node by default; runnel.etcd.endpoints from the environment makes a cluster member', async () => {
    expect(new BrokerConfig([]).clusterMode()).toBe(false);
    expect(envKeyToConfigKey('KAFKA_RUNNEL_ETCD_ENDPOINTS')).toBe('runnel.etcd.endpoints');
    const c = new BrokerConfig(await parseArgs([], { KAFKA_RUNNEL_ETCD_ENDPOINTS: 'http://127.0.0.1:2379, 127.0.0.2:2379', KAFKA_BROKER_RACK: 'r1' }));
    expect(c.clusterMode()).toBe(true);
    expect(c.list('runnel.etcd.endpoints')).toEqual(['http://127.0.0.1:2379', '127.0.0.2:2379']);
    expect(c.string('runnel.etcd.prefix')).toBe('runnel');
    expect(c.string('broker.rack')).toBe('r1');
    expect(c.int('broker.session.timeout.ms')).toBe(9000);
    expect(c.int('broker.heartbeat.interval.ms')).toBe(2000);
    expect(c.int('replica.lag.time.max.ms')).toBe(30000);
    expect(c.bool('auto.leader.rebalance.enable')).toBe(true);
    expect(c.bool('controlled.shutdown.enable')).toBe(true);
    expect(c.warnings).toEqual([]);
  });

  it('refuses TLS or malformed etcd endpoints and prefixes, naming the key', () => {
    expect(() => new BrokerConfig([optionsLayer({ 'runnel.etcd.endpoints': 'https://e:2379' })])).toThrow(/TLS to etcd is not supported/);
    expect(() => new BrokerConfig([optionsLayer({ 'runnel.etcd.endpoints': 'e' })])).toThrow(/runnel.etcd.endpoints.*not http:\/\/host:port/);
    expect(() => new BrokerConfig([optionsLayer({ 'runnel.etcd.prefix': 'a/' })])).toThrow(/runnel.etcd.prefix/);
    expect(new BrokerConfig([optionsLayer({ 'runnel.etcd.prefix': 'prod/kafka-1' })]).string('runnel.etcd.prefix')).toBe('prod/kafka-1');
  });

  it('inter.broker.listener.name names an advertised listener; the first listener by default', () => {
    const listeners = 'PLAINTEXT://127.0.0.1:9092,REPL://127.0.0.1:9093';
    const map = 'PLAINTEXT:PLAINTEXT,REPL:PLAINTEXT';
    expect(new BrokerConfig([optionsLayer({ listeners, 'listener.security.protocol.map': map })]).interBrokerListener().port).toBe(9092);
    expect(new BrokerConfig([optionsLayer({ listeners, 'listener.security.protocol.map': map, 'inter.broker.listener.name': 'repl' })]).interBrokerListener().port).toBe(9093);
    expect(() => new BrokerConfig([optionsLayer({ listeners, 'listener.security.protocol.map': map, 'inter.broker.listener.name': 'OTHER' })])).toThrow(/inter.broker.listener.name OTHER must be a listener name in advertised.listeners/);
  });

  it('in a cluster, the heartbeat must fit inside the session timeout less the 1 s fencing margin', () => {
    const etcd = { 'runnel.etcd.endpoints': '127.0.0.1:2379' };
    expect(() => new BrokerConfig([optionsLayer({ ...etcd, 'broker.session.timeout.ms': 3000, 'broker.heartbeat.interval.ms': 2000 })])).toThrow(/broker.heartbeat.interval.ms \(2000\) must be less than/);
    expect(new BrokerConfig([optionsLayer({ ...etcd, 'broker.session.timeout.ms': 3000, 'broker.heartbeat.interval.ms': 500 })]).clusterMode()).toBe(true);
    // A single node has no lease: the pair is not checked.
    expect(new BrokerConfig([optionsLayer({ 'broker.session.timeout.ms': 3000, 'broker.heartbeat.interval.ms': 2000 })]).clusterMode()).toBe(false);
  });
});

describe('topic configs', () => {
  it('resolves override > broker synonym > default, with sources', () => {
    const broker = new BrokerConfig([optionsLayer({ 'log.retention.hours': 1 })]);
    const overrides = parseTopicConfigs([['segment.bytes', '1048576']]);
    expect(resolveTopicConfig('segment.bytes', overrides, broker)).toMatchObject({ value: 1048576, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    expect(resolveTopicConfig('retention.ms', overrides, broker)).toMatchObject({ value: 3600000, source: ConfigSource.STATIC_BROKER_CONFIG });
    expect(resolveTopicConfig('cleanup.policy', overrides, broker)).toMatchObject({ value: ['delete'], source: ConfigSource.DEFAULT_CONFIG });
  });

  it('reports synonyms as Kafka does: broker keys with their own values, from the primary key on', () => {
    const none = new BrokerConfig([]);
    const overrides = parseTopicConfigs([['retention.ms', '3600000']]);
    // Kafka 4.4 (kafka-configs --describe): retention.ms=3600000 synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=3600000}
    expect(resolveTopicConfig('retention.ms', overrides, none).synonyms).toEqual([{ name: 'retention.ms', value: 3600000, source: ConfigSource.DYNAMIC_TOPIC_CONFIG }]);
    expect(resolveTopicConfig('retention.ms', new Map(), none)).toMatchObject({ value: 604800000, source: ConfigSource.DEFAULT_CONFIG, synonyms: [] });
    expect(resolveTopicConfig('cleanup.policy', new Map(), none).synonyms).toEqual([{ name: 'log.cleanup.policy', value: ['delete'], source: ConfigSource.DEFAULT_CONFIG }]);
    const ms = new BrokerConfig([optionsLayer({ 'log.retention.ms': 5000, 'log.retention.hours': 2 })]);
    expect(resolveTopicConfig('retention.ms', new Map(), ms)).toMatchObject({
      value: 5000,
      synonyms: [
        { name: 'log.retention.ms', value: 5000, source: ConfigSource.STATIC_BROKER_CONFIG },
        { name: 'log.retention.hours', value: 2, source: ConfigSource.STATIC_BROKER_CONFIG },
        { name: 'log.retention.hours', value: 168, source: ConfigSource.DEFAULT_CONFIG },
      ],
    });
  });

  it('rejects unknown topic keys and bad values', () => {
    expect(() => parseTopicConfigs([['retention.msec', '1']])).toThrow(/Unknown topic config name: retention.msec/);
    expect(() => parseTopicConfigs([['retention.ms', 'soon']])).toThrow(/retention.ms/);
    expect(() => parseTopicConfigs([['compression.type', 'brotli']])).toThrow(/compression.type/);
  });
});
