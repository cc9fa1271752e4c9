/**
 * What every `runnel` subcommand shares: where it reads and writes (injectable, so tests run
 * commands in-process), the flags common to commands that talk to a cluster, the output format
 * (tables for people, JSON for scripts), and the Kafka client it connects lazily.
 */
import type { FlagSpec, ParsedArgs } from './args.js';
import { UsageError } from './args.js';
import { renderTable, type Cell } from './table.js';
import { Progress } from './progress.js';
import { KafkaClient } from '../client/cluster.js';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal (progress bars are drawn only then). */
  stderrIsTTY: boolean;
}

export const DEFAULT_BOOTSTRAP = '127.0.0.1:9092';

/** Flags of every command that talks to a Kafka cluster, spelled as Kafka's tools spell them. */
export const CLIENT_FLAGS: FlagSpec[] = [
  { name: 'bootstrap-server', aliases: ['b', 'bootstrap-servers', 'broker-list', 'brokers'], type: 'string', value: 'HOST:PORT[,...]', description: `Kafka broker(s) to connect to (env RUNNEL_BOOTSTRAP_SERVER; default ${DEFAULT_BOOTSTRAP})` },
  { name: 'client-id', type: 'string', description: 'Client id sent to the broker', default: 'runnel-cli', hidden: true },
  { name: 'request-timeout-ms', type: 'number', description: 'Timeout of each request', default: 30000, hidden: true },
  { name: 'command-config', type: 'string', description: 'Accepted for kafka-*.sh compatibility; client properties files are not read', hidden: true },
];

export const FORMAT_FLAGS: FlagSpec[] = [
  { name: 'format', type: 'string', value: 'table|json', description: 'Output for people (table) or scripts (json)', default: 'table' },
  { name: 'json', type: 'boolean', description: 'Same as --format json' },
];

export const HELP_FLAG: FlagSpec = { name: 'help', aliases: ['h'], type: 'boolean', description: 'Show this help' };

export class Context {
  private client: KafkaClient | null = null;
  readonly format: 'table' | 'json';

  constructor(
    readonly io: CliIO,
    readonly args: ParsedArgs,
  ) {
    const f = args.flags.json === true ? 'json' : String(args.flags.format ?? 'table');
    if (f !== 'table' && f !== 'json') throw new UsageError(`--format must be table or json, not '${f}'`);
    this.format = f;
  }

  get json(): boolean {
    return this.format === 'json';
  }

  bootstrap(): string {
    const flag = this.args.flags['bootstrap-server'];
    return typeof flag === 'string' && flag !== '' ? flag : (this.io.env.RUNNEL_BOOTSTRAP_SERVER ?? DEFAULT_BOOTSTRAP);
  }

  kafka(): KafkaClient {
    this.client ??= new KafkaClient({
      bootstrap: this.bootstrap(),
      clientId: String(this.args.flags['client-id'] ?? 'runnel-cli'),
      requestTimeoutMs: Number(this.args.flags['request-timeout-ms'] ?? 30000),
      connectTimeoutMs: 10000,
    });
    return this.client;
  }

  async close(): Promise<void> {
    await this.client?.close();
  }

  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A message for people: on stderr, so stdout stays data. */
  note(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  printJson(value: unknown): void {
    this.out(JSON.stringify(value, jsonReplacer, 2));
  }

  /** A table (people) or the same rows as an array of objects (scripts). */
  printRows(headers: readonly string[], rows: readonly (readonly Cell[])[], jsonRows?: readonly object[]): void {
    if (this.json) this.printJson(jsonRows ?? rows.map((r) => Object.fromEntries(headers.map((h, i) => [jsonKey(h), r[i] ?? null]))));
    else this.out(rows.length === 0 ? renderTable(headers, []) : renderTable(headers, rows));
  }

  progress(unit: string, total?: number): Progress {
    const disabled = this.args.flags.quiet === true || this.io.env.RUNNEL_NO_PROGRESS === '1';
    return new Progress({ unit, total, enabled: this.io.stderrIsTTY && !disabled, stream: this.io.stderr });
  }

  string(name: string): string | undefined {
    const v = this.args.flags[name];
    return typeof v === 'string' ? v : undefined;
  }

  number(name: string): number | undefined {
    const v = this.args.flags[name];
    return typeof v === 'number' ? v : undefined;
  }

  bool(name: string): boolean {
    return this.args.flags[name] === true;
  }

  list(name: string): string[] {
    const v = this.args.flags[name];
    return Array.isArray(v) ? v : [];
  }

  /** The n-th positional, or a flag of the same meaning (`runnel topic create x` = `--topic x`). */
  positionalOr(index: number, flag: string, what: string, required = true): string | undefined {
    const v = this.args.positionals[index] ?? this.string(flag);
    if (v === undefined && required) throw new UsageError(`missing ${what}`);
    return v;
  }
}

/** "LOG-END-OFFSET" → "logEndOffset" for JSON keys. */
export function jsonKey(header: string): string {
  return header.toLowerCase().replace(/[-_ ]+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  return value;
}
