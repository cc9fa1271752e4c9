/**
 * `runnel consume <topic>` — kafka-console-consumer.sh: from the beginning, an offset or a point
 * in time, in a group (offsets committed) or not, printing values and optionally timestamp,
 * partition, offset, headers and key in the console consumer's order and spellings
 * (--property print.key=true works too). --format json prints one JSON object per record.
 * Values can be decoded as Avro through a schema registry (Confluent framing).
 */
import { Consumer } from '../../client/consumer.js';
import type { ConsumedRecord, StartPosition } from '../../client/fetcher.js';
import { splitKeyValue, UsageError } from '../args.js';
import { AvroDecoder, avroToJson } from '../avro.js';
import type { CommandDef, CommandGroupDef } from '../command.js';
import type { Context } from '../context.js';
import { unescapeSeparator } from '../lines.js';
import { SchemaRegistryClient } from '../schema-registry.js';
import { parseTime } from '../time.js';

type DataFormat = 'string' | 'hex' | 'base64' | 'avro';

const FORMATS: DataFormat[] = ['string', 'hex', 'base64', 'avro'];

interface Printer {
  key: boolean;
  partition: boolean;
  offset: boolean;
  timestamp: boolean;
  headers: boolean;
  separator: string;
  keyFormat: DataFormat;
  valueFormat: DataFormat;
  nullLiteral: string;
}

function dataFormat(v: string | undefined, flag: string): DataFormat {
  const f = (v ?? 'string') as DataFormat;
  if (!FORMATS.includes(f)) throw new UsageError(`${flag} must be one of ${FORMATS.join(', ')}, not '${v}'`);
  return f;
}

function startPosition(ctx: Context): StartPosition {
  const offset = ctx.string('offset');
  const from = ctx.string('from-timestamp');
  if (from !== undefined) return { kind: 'timestamp', timestamp: parseTime(from, '--from-timestamp') };
  if (offset !== undefined && offset !== 'latest' && offset !== 'earliest') {
    const n = Number(offset);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--offset must be earliest, latest or an offset, not '${offset}'`);
    return { kind: 'offset', offset: n };
  }
  if (offset === 'earliest' || ctx.bool('from-beginning')) return { kind: 'earliest' };
  return { kind: 'latest' };
}

const consume: CommandDef = {
  name: '',
  summary: 'Read records and print them',
  usage: 'runnel consume <topic> [--from-beginning | --offset N | --from-timestamp TIME] [--group ID] [--max-messages N] [options]',
  flags: [
    { name: 'topic', aliases: ['t'], type: 'string', value: 'NAME[,NAME]', description: 'Topic(s) (or give them as arguments)' },
    { name: 'group', aliases: ['g'], type: 'string', value: 'ID', description: 'Consume as a member of this consumer group (offsets are committed)' },
    { name: 'from-beginning', type: 'boolean', description: 'Start at the earliest offset (in a group: when nothing is committed)' },
    { name: 'offset', aliases: ['o'], type: 'string', value: 'earliest|latest|N', description: 'Where to start (an offset needs --partition)' },
    { name: 'from-timestamp', aliases: ['from-time'], type: 'string', value: 'TIME', description: 'Start at the first record at or after this time (epoch ms or ISO date-time)' },
    { name: 'partition', aliases: ['p'], type: 'string', value: 'N[,N]', description: 'Only these partitions (not with --group)' },
    { name: 'max-messages', aliases: ['n', 'messages'], type: 'number', description: 'Stop after this many records' },
    { name: 'timeout-ms', type: 'number', description: 'Stop when no record arrived for this long' },
    { name: 'exit-at-end', aliases: ['e'], type: 'boolean', description: 'Stop once every partition has been read to its end' },
    { name: 'print-key', type: 'boolean', description: 'Print the key before the value' },
    { name: 'print-partition', type: 'boolean', description: 'Print Partition:N' },
    { name: 'print-offset', type: 'boolean', description: 'Print Offset:N' },
    { name: 'print-timestamp', type: 'boolean', description: 'Print CreateTime:MS (or LogAppendTime:MS)' },
    { name: 'print-headers', type: 'boolean', description: 'Print headers as k:v,k:v' },
    { name: 'key-separator', type: 'string', value: 'SEP', description: 'Between the printed fields', default: '\\t' },
    { name: 'property', type: 'list', value: 'KEY=VALUE', description: 'Console consumer properties: print.key, print.partition, print.offset, print.timestamp, print.headers, key.separator, null.literal' },
    { name: 'key-format', type: 'string', value: 'string|hex|base64|avro', description: 'How keys are shown', default: 'string' },
    { name: 'value-format', type: 'string', value: 'string|hex|base64|avro', description: 'How values are shown (avro: decoded through --schema-registry)', default: 'string' },
    { name: 'schema-registry', aliases: ['schema-registry-url'], type: 'string', value: 'URL', description: 'Schema registry for Avro (env RUNNEL_SCHEMA_REGISTRY; default http://127.0.0.1:8081)' },
    { name: 'isolation-level', type: 'string', value: 'read_uncommitted|read_committed', description: 'Transactional records to show', default: 'read_uncommitted' },
    { name: 'quiet', aliases: ['q'], type: 'boolean', description: 'No "Processed a total of N messages" line' },
  ],
  details: 'Examples:\n  runnel consume demo --from-beginning --max-messages 10 --print-key --print-offset\n  runnel consume demo --group g1 --format json --exit-at-end',
  async run(ctx) {
    const topics = [...ctx.args.positionals, ...(ctx.string('topic') ? [ctx.string('topic')!] : [])].flatMap((t) => t.split(',')).filter(Boolean);
    if (topics.length === 0) throw new UsageError('missing topic name');
    const groupId = ctx.string('group');
    const partitions = ctx.string('partition')?.split(',').map((p) => {
      const n = Number(p);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`--partition needs partition numbers, not '${p}'`);
      return n;
    });
    if (groupId && partitions) throw new UsageError('--partition cannot be combined with --group (the group assigns partitions)');
    const start = startPosition(ctx);
    if (start.kind === 'offset' && !partitions) throw new UsageError('--offset N needs --partition (offsets differ per partition)');
    if (groupId && (start.kind === 'offset' || start.kind === 'timestamp')) throw new UsageError('--offset and --from-timestamp cannot be combined with --group (use runnel group reset-offsets)');
    const props = new Map(ctx.list('property').map((p) => splitKeyValue(p, '--property')));
    const prop = (k: string) => props.get(k) === 'true';
    const printer: Printer = {
      key: ctx.bool('print-key') || prop('print.key'),
      partition: ctx.bool('print-partition') || prop('print.partition'),
      offset: ctx.bool('print-offset') || prop('print.offset'),
      timestamp: ctx.bool('print-timestamp') || prop('print.timestamp'),
      headers: ctx.bool('print-headers') || prop('print.headers'),
      separator: unescapeSeparator(props.get('key.separator') ?? ctx.string('key-separator') ?? '\\t'),
      keyFormat: dataFormat(ctx.string('key-format'), '--key-format'),
      valueFormat: dataFormat(ctx.string('value-format'), '--value-format'),
      nullLiteral: props.get('null.literal') ?? 'null',
    };
    const needsRegistry = printer.keyFormat === 'avro' || printer.valueFormat === 'avro';
    const decoder = needsRegistry ? new AvroDecoder(new SchemaRegistryClient(ctx.string('schema-registry') ?? ctx.io.env.RUNNEL_SCHEMA_REGISTRY ?? 'http://127.0.0.1:8081')) : null;
    const isolation = ctx.string('isolation-level') ?? 'read_uncommitted';
    if (isolation !== 'read_uncommitted' && isolation !== 'read_committed') throw new UsageError(`--isolation-level must be read_uncommitted or read_committed`);

    const consumer = new Consumer(ctx.kafka(), {
      topics,
      partitions,
      groupId,
      start,
      isolationLevel: isolation === 'read_committed' ? 1 : 0,
      resetPolicy: ctx.bool('from-beginning') ? 'earliest' : 'latest',
    });
    const max = ctx.number('max-messages') ?? Infinity;
    const idleMs = ctx.number('timeout-ms');
    let count = 0;
    let lastRecordAt = Date.now();
    let interrupted = false;
    const onSignal = () => {
      interrupted = true;
      consumer.stop();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      for await (const batch of consumer.batches()) {
        const take = batch.length > max - count ? batch.slice(0, max - count) : batch;
        const lines: string[] = [];
        for (const r of take) lines.push(await formatRecord(r, printer, decoder, ctx.json));
        if (lines.length > 0) ctx.io.stdout.write(lines.join('\n') + '\n');
        consumer.markProcessed(take);
        count += take.length;
        if (take.length > 0) lastRecordAt = Date.now();
        if (count >= max || interrupted) break;
        if (ctx.bool('exit-at-end') && consumer.atEnd()) break;
        if (idleMs !== undefined && Date.now() - lastRecordAt >= idleMs) break;
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await consumer.close();
    }
    if (!ctx.bool('quiet')) ctx.note(`Processed a total of ${count} messages`);
  },
};

function renderData(b: Buffer | null, format: DataFormat, nullLiteral: string): string {
  if (b === null) return nullLiteral;
  if (format === 'hex') return b.toString('hex');
  if (format === 'base64') return b.toString('base64');
  return b.toString('utf8');
}

async function decodeData(b: Buffer | null, format: DataFormat, decoder: AvroDecoder | null): Promise<unknown> {
  if (b === null) return null;
  if (format === 'avro') return avroToJson(await decoder!.decode(b));
  if (format === 'hex') return b.toString('hex');
  if (format === 'base64') return b.toString('base64');
  return b.toString('utf8');
}

async function formatRecord(r: ConsumedRecord, p: Printer, decoder: AvroDecoder | null, json: boolean): Promise<string> {
  if (json) {
    return JSON.stringify({
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      timestamp: r.timestamp,
      timestampType: r.timestampType,
      key: await decodeData(r.key, p.keyFormat, decoder),
      value: await decodeData(r.value, p.valueFormat, decoder),
      headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.toString('utf8') })),
    });
  }
  const fields: string[] = [];
  if (p.timestamp) fields.push(`${r.timestampType}:${r.timestamp}`);
  if (p.partition) fields.push(`Partition:${r.partition}`);
  if (p.offset) fields.push(`Offset:${r.offset}`);
  if (p.headers) fields.push(r.headers.length === 0 ? 'NO_HEADERS' : r.headers.map((h) => `${h.key}:${h.value === null ? p.nullLiteral : h.value.toString('utf8')}`).join(','));
  const text = async (b: Buffer | null, f: DataFormat) => (f === 'avro' && b !== null ? JSON.stringify(avroToJson(await decoder!.decode(b))) : renderData(b, f, p.nullLiteral));
  if (p.key) fields.push(await text(r.key, p.keyFormat));
  fields.push(await text(r.value, p.valueFormat));
  return fields.join(p.separator);
}

export const group: CommandGroupDef = { name: 'consume', summary: consume.summary, commands: [consume], defaultCommand: '' };
