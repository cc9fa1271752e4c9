/**
 * `kafka-configs.sh --entity-type groups` (Apache Kafka 4.4's own tool) against Runnel: --alter
 * --add-config / --delete-config on a group, --describe (dynamic only and --all) printed as
 * against Kafka, and an invalid value refused with Kafka's message. Without --entity-name the
 * tool lists the configured groups through ListConfigResources (API 74, GROUP) first, and
 * kafka-client-metrics.sh --list lists client-metrics resources the same way (Runnel has none).
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
    // No configs left and no such group: the tool checks ListGroups and ListConfigResources first, as against Kafka.
    expect(lines(await configs(['--describe', '--entity-type', 'groups', '--entity-name', 'workers']))).toEqual(["The group 'workers' doesn't exist and doesn't have dynamic config."]);
  }, 120_000);

  it('--describe without --entity-name lists the groups that have configs (ListConfigResources)', async () => {
    for (const [group, cfg] of [['listed-a', 'share.delivery.count.limit=3'], ['listed-b', 'share.isolation.level=read_committed']]) {
      const alter = await configs(['--alter', '--entity-type', 'groups', '--entity-name', group!, '--add-config', cfg!]);
      expect(alter.code, alter.stdout + alter.stderr).toBe(0);
    }
    const all = await configs(['--describe', '--entity-type', 'groups']);
    expect(all.code, all.stdout + all.stderr).toBe(0);
    const out = lines(all);
    expect(out).toContain('Dynamic configs for group listed-a are:');
    expect(out).toContain('  share.delivery.count.limit=3 sensitive=false synonyms={DYNAMIC_GROUP_CONFIG:share.delivery.count.limit=3, DEFAULT_CONFIG:group.share.delivery.count.limit=5}');
    expect(out).toContain('Dynamic configs for group listed-b are:');
    expect(out).toContain('  share.isolation.level=read_committed sensitive=false synonyms={DYNAMIC_GROUP_CONFIG:share.isolation.level=read_committed, DEFAULT_CONFIG:share.isolation.level=read_uncommitted}');
    // A group whose every config was deleted is no longer a config resource.
    expect((await configs(['--alter', '--entity-type', 'groups', '--entity-name', 'listed-b', '--delete-config', 'share.isolation.level'])).code).toBe(0);
    const after = lines(await configs(['--describe', '--entity-type', 'groups']));
    expect(after).toContain('Dynamic configs for group listed-a are:');
    expect(after).not.toContain('Dynamic configs for group listed-b are:');
  }, 120_000);

  it('kafka-client-metrics.sh --list: no client-metrics resources', async () => {
    const r = await runKafkaScript('kafka-client-metrics.sh', ['--bootstrap-server', broker.bootstrap, '--list']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(lines(r)).toEqual([]);
  }, 60_000);
});
