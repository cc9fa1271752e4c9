/**
 * `kafka-configs.sh --entity-type groups` (Apache Kafka 4.4's own tool) against Runnel: --alter
 * --add-config / --delete-config on a group, --describe (dynamic only and --all) printed as
 * against Kafka, and an invalid value refused with Kafka's message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { ensureJavaBuilt, javaAvailable, runKafkaScript, toolLines, type JavaResult } from '../helpers/java.js';

let broker: TestBroker;

const configs = (args: string[]): Promise<JavaResult> => runKafkaScript('kafka-configs.sh', ['--bootstrap-server', broker.bootstrap, ...args]);
const lines = toolLines;

describe.skipIf(!javaAvailable())('kafka-configs.sh --entity-type groups', () => {
  beforeAll(async () => {
    await ensureJavaBuilt();
    broker = await startTestBroker({ config: { 'num.partitions': 1 } });
  }, 300_000);
  afterAll(async () => {
    await broker?.cleanup();
  });

  it('alters, describes and deletes group configs as against Kafka 4.4', async () => {
    const alter = await configs(['--alter', '--entity-type', 'groups', '--entity-name', 'workers', '--add-config', 'share.auto.offset.reset=by_duration:PT1H,share.isolation.level=read_committed,errors.deadletterqueue.topic.name=dlq.workers']);
    expect(alter.code, alter.stdout + alter.stderr).toBe(0);
    expect(lines(alter)).toEqual(['Completed updating config for group workers.']);

    const described = await configs(['--describe', '--entity-type', 'groups', '--entity-name', 'workers']);
    expect(described.code, described.stderr).toBe(0);
    expect(lines(described).sort()).toEqual([
      '  errors.deadletterqueue.topic.name=dlq.workers sensitive=false synonyms={DYNAMIC_GROUP_CONFIG:errors.deadletterqueue.topic.name=dlq.workers, DEFAULT_CONFIG:errors.deadletterqueue.topic.name=}',
      '  share.auto.offset.reset=by_duration:PT1H sensitive=false synonyms={DYNAMIC_GROUP_CONFIG:share.auto.offset.reset=by_duration:PT1H, DEFAULT_CONFIG:share.auto.offset.reset=latest}',
      '  share.isolation.level=read_committed sensitive=false synonyms={DYNAMIC_GROUP_CONFIG:share.isolation.level=read_committed, DEFAULT_CONFIG:share.isolation.level=read_uncommitted}',
      'Dynamic configs for group workers are:',
    ]);

    const all = await configs(['--describe', '--entity-type', 'groups', '--entity-name', 'workers', '--all']);
    expect(all.code, all.stderr).toBe(0);
    expect(lines(all)[0]).toBe('All configs for group workers are:');
    expect(lines(all)).toContain('  share.delivery.count.limit=5 sensitive=false synonyms={DEFAULT_CONFIG:group.share.delivery.count.limit=5}');
    expect(lines(all)).toHaveLength(22);

    const bad = await configs(['--alter', '--entity-type', 'groups', '--entity-name', 'workers', '--add-config', 'share.record.lock.duration.ms=1000']);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain('InvalidConfigurationException: share.record.lock.duration.ms must be in the range 15000 to 60000 inclusive.');

    const del = await configs(['--alter', '--entity-type', 'groups', '--entity-name', 'workers', '--delete-config', 'share.isolation.level,share.auto.offset.reset,errors.deadletterqueue.topic.name']);
    expect(del.code, del.stderr).toBe(0);
    expect(lines(await configs(['--describe', '--entity-type', 'groups', '--entity-name', 'workers']))).toEqual(['Dynamic configs for group workers are:']);
  }, 120_000);
});
