/**
 * The command-line parser of the `runnel` subcommands: declared flags (with the aliases Kafka's
 * own tools use, e.g. --bootstrap-server / --broker-list / -b), `--flag value` and
 * `--flag=value`, booleans without a value, repeatable flags, `--` to end flags, and positional
 * arguments. Unknown flags are an error naming the closest known one.
 */

export type FlagType = 'string' | 'number' | 'boolean' | 'list';

export interface FlagSpec {
  /** Canonical name without dashes, e.g. 'bootstrap-server'. */
  name: string;
  /** Other spellings without dashes: 'b' becomes -b, longer ones --name. */
  aliases?: string[];
  type: FlagType;
  description: string;
  /** Shown in help, e.g. 'HOST:PORT'. */
  value?: string;
  default?: string | number | boolean;
  /** Not shown in help (accepted for compatibility). */
  hidden?: boolean;
}

export interface ParsedArgs {
  flags: Record<string, string | number | boolean | string[] | undefined>;
  positionals: string[];
  /** Flags given explicitly (as opposed to defaults). */
  given: Set<string>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest of `candidates` to `word`, if it is close enough to be a likely typo. */
export function suggest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word, c);
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

export function parseArgv(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) {
    byName.set(s.name, s);
    for (const a of s.aliases ?? []) byName.set(a, s);
  }
  const flags: ParsedArgs['flags'] = {};
  const given = new Set<string>();
  const positionals: string[] = [];
  for (const s of specs) if (s.default !== undefined) flags[s.name] = s.default;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = byName.get(name);
    if (!spec) {
      const hint = suggest(name, [...byName.keys()].filter((k) => k.length > 1));
      throw new UsageError(`unknown option ${arg.startsWith('--') ? '--' : '-'}${name}${hint ? ` (did you mean --${hint}?)` : ''}`);
    }
    let raw: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (spec.type === 'boolean') {
      if (raw === undefined) flags[spec.name] = true;
      else if (/^(true|yes|1)$/i.test(raw)) flags[spec.name] = true;
      else if (/^(false|no|0)$/i.test(raw)) flags[spec.name] = false;
      else throw new UsageError(`--${spec.name} takes no value (or true/false), not '${raw}'`);
      given.add(spec.name);
      continue;
    }
    if (raw === undefined) {
      raw = argv[++i];
      if (raw === undefined) throw new UsageError(`--${spec.name} needs a value${spec.value ? ` (${spec.value})` : ''}`);
    }
    if (spec.type === 'number') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${spec.name} needs a number, not '${raw}'`);
      flags[spec.name] = n;
    } else if (spec.type === 'list') {
      const list = given.has(spec.name) ? (flags[spec.name] as string[]) : [];
      list.push(raw);
      flags[spec.name] = list;
    } else flags[spec.name] = raw;
    given.add(spec.name);
  }
  return { flags, positionals, given };
}

/** Help text for a command's flags, aligned. */
export function formatFlags(specs: readonly FlagSpec[]): string {
  const rows = specs
    .filter((s) => !s.hidden)
    .map((s) => {
      const names = [`--${s.name}`, ...(s.aliases ?? []).filter((a) => a.length === 1).map((a) => `-${a}`)].join(', ');
      const value = s.type === 'boolean' ? '' : ` ${s.value ?? (s.type === 'number' ? 'N' : 'VALUE')}`;
      const def = s.default !== undefined && s.type !== 'boolean' ? ` (default ${s.default})` : '';
      const also = (s.aliases ?? []).filter((a) => a.length > 1);
      return [`  ${names}${value}`, `${s.description}${def}${also.length ? ` [also --${also.join(', --')}]` : ''}`] as const;
    });
  const width = Math.min(44, Math.max(...rows.map((r) => r[0].length), 0) + 2);
  return rows.map(([l, r]) => (l.length + 2 > width ? `${l}\n${' '.repeat(width)}${r}` : `${l.padEnd(width)}${r}`)).join('\n');
}

/** key=value → [key, value] (value may contain '='). */
export function splitKeyValue(kv: string, what: string): [string, string] {
  const eq = kv.indexOf('=');
  if (eq <= 0) throw new UsageError(`${what} needs key=value, not '${kv}'`);
  return [kv.slice(0, eq), kv.slice(eq + 1)];
}

/** Values of a repeatable flag, each possibly comma-separated (Kafka's --add-config a=1,b=2). */
export function listValues(v: unknown, splitCommas = true): string[] {
  const list = Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : [];
  return splitCommas ? list.flatMap((x) => splitConfigList(x)) : list;
}

/** Splits "a=1,b=[x,y],c=2" on top-level commas (Kafka's kafka-configs lets lists sit in brackets). */
function splitConfigList(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '[') depth++;
    if (ch === ']') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out.map((x) => x.replace(/=\[(.*)\]$/, '=$1'));
}
