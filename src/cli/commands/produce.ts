/**
 * `runnel produce <topic>` — one record per input line, from stdin or --file, like
 * kafka-console-producer.sh (whose --property parse.key / key.separator / parse.headers /
 * null.marker spellings work too). Keys are optional (--key-separator); keyed records land where
 * Java's murmur2 partitioner puts them. Prints where the records went.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Producer, type CompressionName } from '../../client/producer.js';
import { splitKeyValue, UsageError, type FlagSpec } from '../args.js';
import type { CommandDef, CommandGroupDef } from '../command.js';
import type { Context } from '../context.js';
import { readLines, splitOnce, unescapeSeparator } from '../lines.js';

export const PRODUCER_FLAGS: FlagSpec[] = [
  { name: 'acks', aliases: ['request-required-acks'], type: 'string', value: 'all|1|0', description: 'Acknowledgement required from the broker', default: 'all' },
  { name: 'compression', aliases: ['compression-codec', 'z'], type: 'string', value: 'none|gzip|snappy|lz4|zstd', description: 'Batch compression', default: 'none' },
  { name: 'batch-size', type: 'number', value: 'BYTES', description: 'Bytes per partition batch', default: 16384 },
  { name: 'linger-ms', aliases: ['timeout'], type: 'number', description: 'How long a batch waits to fill', default: 5 },
];

export function parseAcks(v: string): number {
  const acks = v === 'all' ? -1 : Number(v);
  if (![-1, 0, 1].includes(acks)) throw new UsageError(`--acks must be all, -1, 1 or 0, not '${v}'`);
  return acks;
}

export function parseCompression(v: string): CompressionName {
  const c = v === 'uncompressed' ? 'none' : v;
  if (!['none', 'gzip', 'snappy', 'lz4', 'zstd'].includes(c)) throw new UsageError(`--compression must be none, gzip, snappy, lz4 or zstd, not '${v}'`);
  return c as CompressionName;
}

interface LineFormat {
  keySep: Buffer | null;
  headersDelimiter: Buffer | null;
  headersSep: string;
  headerKeySep: string;
  nullMarker: Buffer | null;
}

/** The console producer's --property settings, with our flags taking precedence. */
function lineFormat(ctx: Context): LineFormat {
  const props = new Map(ctx.list('property').map((p) => splitKeyValue(p, '--property')));
  const keySepText = ctx.string('key-separator') ?? (props.get('parse.key') === 'true' ? (props.get('key.separator') ?? '\t') : undefined);
  const parseHeaders = ctx.bool('parse-headers') || props.get('parse.headers') === 'true';
  const nullMarker = ctx.string('null-marker') ?? props.get('null.marker');
  return {
    keySep: keySepText === undefined ? null : Buffer.from(unescapeSeparator(keySepText)),
    headersDelimiter: parseHeaders ? Buffer.from(unescapeSeparator(props.get('headers.delimiter') ?? '\t')) : null,
    headersSep: unescapeSeparator(props.get('headers.separator') ?? ','),
    headerKeySep: unescapeSeparator(props.get('headers.key.separator') ?? ':'),
    nullMarker: nullMarker === undefined ? null : Buffer.from(nullMarker),
  };
}

const produce: CommandDef = {
  name: '',
  summary: 'Write records, one per line, from stdin or a file',
  usage: 'runnel produce <topic> [--file PATH] [--key-separator SEP] [--header key=value]... [options]',
  flags: [
    { name: 'topic', aliases: ['t'], type: 'string', value: 'NAME', description: 'Topic (or give it as an argument)' },
    { name: 'file', aliases: ['f'], type: 'string', value: 'PATH', description: 'Read lines from a file instead of stdin' },
    { name: 'key-separator', aliases: ['K'], type: 'string', value: 'SEP', description: 'Each line is KEY<SEP>VALUE (e.g. ":" or "\\t")' },
    { name: 'header', aliases: ['H'], type: 'list', value: 'KEY=VALUE', description: 'A header on every record (repeatable)' },
    { name: 'parse-headers', type: 'boolean', description: 'Lines start with headers: h1:v1,h2:v2<TAB>... (the console producer format)' },
    { name: 'partition', aliases: ['P'], type: 'number', description: 'Send every record to this partition (default: murmur2 of the key, else sticky)' },
    { name: 'null-marker', type: 'string', value: 'TEXT', description: 'A value equal to this is sent as null (a tombstone)' },
    { name: 'property', type: 'list', value: 'KEY=VALUE', description: 'Console producer properties: parse.key, key.separator, parse.headers, null.marker ...' },
    { name: 'quiet', aliases: ['q'], type: 'boolean', description: 'No summary, no progress bar' },
    ...PRODUCER_FLAGS,
  ],
  details: 'Examples:\n  echo "k1:hello" | runnel produce demo --key-separator :\n  runnel produce demo --file records.txt --compression zstd --header source=import',
  async run(ctx) {
    const topic = ctx.positionalOr(0, 'topic', 'topic name')!;
    const format = lineFormat(ctx);
    const staticHeaders: Array<{ key: string; value: Buffer | null }> = ctx.list('header').map((h) => {
      const [key, value] = splitKeyValue(h, '--header');
      return { key, value: Buffer.from(value) };
    });
    const partition = ctx.number('partition');
    const producer = new Producer(ctx.kafka(), {
      acks: parseAcks(ctx.string('acks') ?? 'all'),
      compression: parseCompression(ctx.string('compression') ?? 'none'),
      batchSize: ctx.number('batch-size'),
      lingerMs: ctx.number('linger-ms'),
    });
    const file = ctx.string('file');
    const input = file && file !== '-' ? createReadStream(file) : ctx.io.stdin;
    const total = file && file !== '-' ? (await stat(file)).size : undefined;
    const progress = ctx.progress('bytes', total);
    let bytesRead = 0;
    const perPartition = new Map<number, { records: number; first: number; last: number }>();
    let sent = 0;
    let bytes = 0;
    let failure: Error | null = null;
    const t0 = performance.now();
    const onAck = (err: Error | null, meta: { partition: number; offset: number } | null) => {
      if (err) {
        failure ??= err;
        return;
      }
      const p = perPartition.get(meta!.partition);
      if (!p) perPartition.set(meta!.partition, { records: 1, first: meta!.offset, last: meta!.offset });
      else {
        p.records++;
        if (meta!.offset < p.first) p.first = meta!.offset;
        if (meta!.offset > p.last) p.last = meta!.offset;
      }
    };
    for await (const line of readLines(input as AsyncIterable<Buffer>, (n) => progress.update((bytesRead += n)))) {
      if (failure) break;
      let rest = line;
      let headers = staticHeaders;
      if (format.headersDelimiter) {
        const split = splitOnce(rest, format.headersDelimiter);
        if (!split) throw new Error(`line ${sent + 1}: no headers delimiter in '${line.toString().slice(0, 80)}'`);
        headers = [...staticHeaders, ...parseHeaderText(split[0].toString(), format)];
        rest = split[1];
      }
      let key: Buffer | null = null;
      if (format.keySep) {
        const split = splitOnce(rest, format.keySep);
        if (!split) throw new Error(`line ${sent + 1}: no key separator '${format.keySep.toString()}' in '${line.toString().slice(0, 80)}'`);
        [key, rest] = split;
        if (format.nullMarker && key.equals(format.nullMarker)) key = null;
      }
      const value = format.nullMarker && rest.equals(format.nullMarker) ? null : rest;
      producer.send({ topic, key, value, headers: headers.length > 0 ? headers : undefined, partition }, onAck);
      sent++;
      bytes += (key?.length ?? 0) + (value?.length ?? 0);
      if (producer.full()) await producer.capacity();
    }
    await producer.flush();
    progress.finish();
    if (failure) throw new Error(`produce to ${topic} failed after ${sent} records were read: ${(failure as Error).message}`);
    const elapsedMs = Math.round(performance.now() - t0);
    const rows = [...perPartition].sort((a, b) => a[0] - b[0]);
    if (ctx.bool('quiet')) return;
    if (ctx.json) {
      ctx.printJson({ topic, records: sent, bytes, elapsedMs, partitions: rows.map(([p, r]) => ({ partition: p, records: r.records, firstOffset: r.first, lastOffset: r.last })) });
      return;
    }
    if (sent > 0 && rows.length > 0) {
      ctx.printRows(['TOPIC', 'PARTITION', 'RECORDS', 'FIRST-OFFSET', 'LAST-OFFSET'], rows.map(([p, r]) => [topic, p, r.records, r.first < 0 ? null : r.first, r.last < 0 ? null : r.last]));
    }
    ctx.note(`Produced ${sent} record${sent === 1 ? '' : 's'} to ${topic} in ${(elapsedMs / 1000).toFixed(2)} s.`);
  },
};

function parseHeaderText(text: string, format: LineFormat): Array<{ key: string; value: Buffer | null }> {
  if (text === '') return [];
  return text.split(format.headersSep).map((h) => {
    const i = h.indexOf(format.headerKeySep);
    if (i < 0) return { key: h, value: null };
    return { key: h.slice(0, i), value: Buffer.from(h.slice(i + format.headerKeySep.length)) };
  });
}

export const group: CommandGroupDef = { name: 'produce', summary: produce.summary, commands: [produce], defaultCommand: '' };
