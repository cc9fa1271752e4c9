/** The CLI's small parts: argument parser, tables, progress bar, times, line splitting. */
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { listValues, parseArgv, splitKeyValue, suggest, UsageError, type FlagSpec } from '../../../src/cli/args.js';
import { renderTable, renderPairs } from '../../../src/cli/table.js';
import { Progress, formatBytes } from '../../../src/cli/progress.js';
import { parseIsoDuration, parseTime } from '../../../src/cli/time.js';
import { readLines, splitOnce, unescapeSeparator } from '../../../src/cli/lines.js';
import { jsonKey } from '../../../src/cli/context.js';

const SPECS: FlagSpec[] = [
  { name: 'bootstrap-server', aliases: ['b', 'broker-list'], type: 'string', description: '' },
  { name: 'partitions', type: 'number', description: '' },
  { name: 'from-beginning', type: 'boolean', description: '' },
  { name: 'config', type: 'list', description: '' },
  { name: 'format', type: 'string', description: '', default: 'table' },
  { name: 'shift-by', type: 'number', description: '' },
];

describe('argument parser', () => {
  it('reads --flag value, --flag=value, aliases, booleans, lists, positionals and --', () => {
    const a = parseArgv(['topic1', '--bootstrap-server', 'h:1', '--partitions=3', '--from-beginning', '--config', 'a=1', '--config=b=2', '-b', 'h:2', '--', '--not-a-flag'], SPECS);
    expect(a.flags).toMatchObject({ 'bootstrap-server': 'h:2', partitions: 3, 'from-beginning': true, config: ['a=1', 'b=2'], format: 'table' });
    expect(a.positionals).toEqual(['topic1', '--not-a-flag']);
    expect(a.given.has('format')).toBe(false);
    expect(parseArgv(['--broker-list', 'x:1'], SPECS).flags['bootstrap-server']).toBe('x:1');
  });

  it('takes negative numbers as values', () => {
    expect(parseArgv(['--shift-by', '-5'], SPECS).flags['shift-by']).toBe(-5);
  });

  it('rejects unknown flags with a suggestion, missing values and bad numbers', () => {
    expect(() => parseArgv(['--partitons', '3'], SPECS)).toThrow(/unknown option --partitons \(did you mean --partitions\?\)/);
    expect(() => parseArgv(['--partitions'], SPECS)).toThrow(UsageError);
    expect(() => parseArgv(['--partitions', 'x'], SPECS)).toThrow(/needs a number/);
    expect(() => parseArgv(['--from-beginning=maybe'], SPECS)).toThrow(/takes no value/);
  });

  it('splits key=value and comma lists (brackets keep list values together)', () => {
    expect(splitKeyValue('a.b=c=d', '--set')).toEqual(['a.b', 'c=d']);
    expect(() => splitKeyValue('nope', '--set')).toThrow(/key=value/);
    expect(listValues(['retention.ms=1,cleanup.policy=[compact,delete]', 'x=1'])).toEqual(['retention.ms=1', 'cleanup.policy=compact,delete', 'x=1']);
    expect(suggest('lsit', ['list', 'describe'])).toBe('list');
    expect(suggest('zzzzzz', ['list'])).toBeNull();
  });
});

describe('tables', () => {
  it('aligns columns the way Kafka tools print them, - for missing values', () => {
    const t = renderTable(['GROUP', 'TOPIC', 'PARTITION', 'LAG'], [['g1', 'orders', 0, 5], ['g1', 'orders-long-name', 10, null]]);
    expect(t).toBe('GROUP  TOPIC             PARTITION  LAG\ng1     orders            0          5\ng1     orders-long-name  10         -\n');
    expect(renderPairs([['id', 3], ['subject', 'x-value']])).toBe('id:      3\nsubject: x-value\n');
    expect(jsonKey('LOG-END-OFFSET')).toBe('logEndOffset');
  });
});

describe('progress bar', () => {
  it('draws nothing unless enabled (not a terminal)', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const p = new Progress({ unit: 'records', total: 10, enabled: false, stream: out });
    p.update(5);
    p.finish();
    expect(text).toBe('');
  });

  it('draws a bar with percent, counts, rate and ETA on a terminal', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const p = new Progress({ unit: 'records', total: 1000, enabled: true, stream: out });
    await new Promise((r) => setTimeout(r, 120));
    p.update(500);
    expect(text).toMatch(/\[#{12}\.{12}\]\s+50%\s+500\/1,000 records\s+[\d,]+ rec\/s\s+ETA \d+s/);
    p.finish();
    expect(text.endsWith('\r\x1b[2K')).toBe(true);
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
  });
});

describe('times', () => {
  it('reads epoch ms, ISO date-times and ISO durations', () => {
    expect(parseTime('1700000000000', '--t')).toBe(1700000000000);
    expect(parseTime('2024-05-01T12:00:00.000Z', '--t')).toBe(Date.UTC(2024, 4, 1, 12));
    expect(parseTime('2024-05-01T12:00:00', '--t')).toBe(new Date(2024, 4, 1, 12).getTime());
    expect(() => parseTime('yesterday', '--t')).toThrow(UsageError);
    expect(parseIsoDuration('PT10M', '--d')).toBe(600_000);
    expect(parseIsoDuration('P1DT2H', '--d')).toBe(26 * 3600_000);
    expect(() => parseIsoDuration('10m', '--d')).toThrow(UsageError);
  });
});

describe('lines', () => {
  it('splits chunks into lines (\\n and \\r\\n, a last line without newline) as bytes', async () => {
    const lines: string[] = [];
    let bytes = 0;
    for await (const l of readLines(Readable.from([Buffer.from('a:1\nb:'), Buffer.from('2\r\n\nc:3')]), (n) => (bytes += n))) lines.push(l.toString());
    expect(lines).toEqual(['a:1', 'b:2', '', 'c:3']);
    expect(bytes).toBe(13);
    expect(splitOnce(Buffer.from('k::v'), Buffer.from('::'))!.map(String)).toEqual(['k', 'v']);
    expect(unescapeSeparator('\\t')).toBe('\t');
  });
});

describe('runnel start arguments', () => {
  it('takes --config FILE, --set key=value and --key value, over the environment', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { parseArgs } = await import('../../../src/config/cli-args.js');
    const { BrokerConfig } = await import('../../../src/config/broker-config.js');
    const dir = mkdtempSync(join(tmpdir(), 'runnel-start-'));
    try {
      const file = join(dir, 'server.properties');
      writeFileSync(file, 'num.partitions=2\nlog.retention.hours=5\nmessage.max.bytes=5000\n');
      const layers = await parseArgs(['--config', file, '--set', 'num.partitions=3', '--listeners', 'PLAINTEXT://127.0.0.1:0', '--log.dirs=/tmp/x'], { KAFKA_LOG_RETENTION_HOURS: '7', KAFKA_MESSAGE_MAX_BYTES: '6000' });
      const c = new BrokerConfig(layers);
      expect(c.int('num.partitions')).toBe(3);
      expect(c.int('log.retention.hours')).toBe(7);
      expect(c.int('message.max.bytes')).toBe(6000);
      expect(c.listeners()).toEqual([{ name: 'PLAINTEXT', host: '127.0.0.1', port: 0 }]);
      expect(c.dataDir()).toBe('/tmp/x');
      await expect(parseArgs(['--set', 'nokey'], {})).rejects.toThrow(/--set needs key=value/);
      await expect(parseArgs(['--config', file, file], {})).rejects.toThrow(/unexpected argument|only one properties file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
