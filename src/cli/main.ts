/**
 * `runnel <command> [subcommand] [options]` for everything but `start`: finds the command group,
 * loads only its module, parses its flags, runs it and turns failures into a one-line message and
 * an exit code (2: usage, 1: anything else). Commands take their streams from `CliIO`, so tests
 * run them in-process with `runCli()`.
 */
import { formatFlags, parseArgv, suggest, UsageError } from './args.js';
import type { CommandDef, CommandGroupDef } from './command.js';
import { CLIENT_FLAGS, Context, FORMAT_FLAGS, HELP_FLAG, type CliIO } from './context.js';

type Loader = () => Promise<{ group: CommandGroupDef }>;

/** Command groups by name, loaded on demand (each is its own chunk in the bundle). */
export const COMMAND_GROUPS: Record<string, { summary: string; load: Loader }> = {
  topic: { summary: 'Create, list, describe, delete topics; alter their configs; add partitions', load: () => import('./commands/topic.js') },
  produce: { summary: 'Write records from stdin or a file', load: () => import('./commands/produce.js') },
  consume: { summary: 'Read records (from the beginning, an offset or a time; in a group or not)', load: () => import('./commands/consume.js') },
  group: { summary: 'List, describe (with lag), reset offsets of, delete consumer groups', load: () => import('./commands/group.js') },
  offsets: { summary: 'Log start / end offsets, or the offset at a time, per partition', load: () => import('./commands/offsets.js') },
  config: { summary: 'Describe and alter topic and broker configs', load: () => import('./commands/config.js') },
  schema: { summary: 'Register, get, list and check Avro schemas in a schema registry', load: () => import('./commands/schema.js') },
  perf: { summary: 'Producer and consumer throughput/latency tests', load: () => import('./commands/perf.js') },
};

/** Kafka's tool names, so `runnel kafka-topics --list` reads as users expect. */
const TOOL_ALIASES: Record<string, string> = {
  topics: 'topic',
  'kafka-topics': 'topic',
  'console-producer': 'produce',
  'kafka-console-producer': 'produce',
  'console-consumer': 'consume',
  'kafka-console-consumer': 'consume',
  groups: 'group',
  'consumer-groups': 'group',
  'kafka-consumer-groups': 'group',
  'get-offsets': 'offsets',
  'kafka-get-offsets': 'offsets',
  configs: 'config',
  'kafka-configs': 'config',
  schemas: 'schema',
  'kafka-producer-perf-test': 'perf',
  'kafka-consumer-perf-test': 'perf',
};

export function isCommandName(word: string): boolean {
  const w = word.replace(/\.sh$/, '');
  return w in COMMAND_GROUPS || w in TOOL_ALIASES || w === 'help' || w === 'version';
}

export function usage(): string {
  const width = Math.max(...Object.keys(COMMAND_GROUPS).map((k) => k.length)) + 4;
  return [
    'usage: runnel <command> [subcommand] [options]',
    '',
    'Commands:',
    `  ${'start'.padEnd(width)}Run a broker (the default when no command is given; runnel start --help lists every config key)`,
    ...Object.entries(COMMAND_GROUPS).map(([name, g]) => `  ${name.padEnd(width)}${g.summary}`),
    '',
    'Every command that talks to Kafka takes --bootstrap-server HOST:PORT (env RUNNEL_BOOTSTRAP_SERVER,',
    'default 127.0.0.1:9092) and works against any Kafka broker; --format json prints JSON for scripts.',
    'runnel <command> --help shows a command\'s options.',
  ].join('\n');
}

function groupUsage(g: CommandGroupDef): string {
  const width = Math.max(...g.commands.map((c) => c.name.length)) + 4;
  return [`usage: runnel ${g.name} <${g.commands.map((c) => c.name).join('|')}> [options]`, '', g.summary, '', ...g.commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`), '', `runnel ${g.name} <subcommand> --help shows its options.`].join('\n');
}

function commandHelp(c: CommandDef): string {
  return [`usage: ${c.usage}`, '', c.summary, '', 'Options:', formatFlags(allFlags(c)), ...(c.details ? ['', c.details] : [])].join('\n');
}

/** Flags a command accepts: its own, the client flags, the output format, help. */
function allFlags(c: CommandDef) {
  const names = new Set(c.flags.map((f) => f.name));
  return [...c.flags, ...CLIENT_FLAGS.filter((f) => !names.has(f.name)), ...FORMAT_FLAGS.filter((f) => !names.has(f.name)), HELP_FLAG];
}

/** Runs one CLI invocation and resolves with its exit code. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const err = (msg: string) => io.stderr.write(`runnel: ${msg}\n`);
  let word = argv[0];
  if (word === undefined || word === 'help' || word === '--help' || word === '-h') {
    const topic = word === 'help' ? argv[1] : undefined;
    if (topic && topic in COMMAND_GROUPS) return runCli([topic, '--help'], io);
    io.stdout.write(usage() + '\n');
    return 0;
  }
  if (word === 'version' || word === '--version') {
    io.stdout.write('runnel 0.1.0\n');
    return 0;
  }
  word = word.replace(/\.sh$/, '');
  const name = TOOL_ALIASES[word] ?? word;
  const entry = COMMAND_GROUPS[name];
  if (!entry) {
    const hint = suggest(word, ['start', ...Object.keys(COMMAND_GROUPS)]);
    err(`unknown command '${word}'${hint ? ` (did you mean '${hint}'?)` : ''}\n${usage()}`);
    return 2;
  }
  const { group } = await entry.load();
  let rest = argv.slice(1);
  let command = group.commands.find((c) => c.name === rest[0] && c.name !== '');
  if (command) rest = rest.slice(1);
  else {
    // Kafka-tool style: `runnel topic --create --topic x`.
    for (const [flag, sub] of Object.entries(group.actionFlags ?? {})) {
      const i = rest.indexOf(`--${flag}`);
      if (i >= 0) {
        command = group.commands.find((c) => c.name === sub);
        rest = [...rest.slice(0, i), ...rest.slice(i + 1)];
        break;
      }
    }
    command ??= group.commands.find((c) => c.name === (group.defaultCommand ?? '\u0000'));
  }
  if (!command) {
    if (rest.includes('--help') || rest.includes('-h') || rest.length === 0) {
      (rest.length === 0 ? io.stderr : io.stdout).write(groupUsage(group) + '\n');
      return rest.length === 0 ? 2 : 0;
    }
    const hint = rest[0] && !rest[0].startsWith('-') ? suggest(rest[0], group.commands.map((c) => c.name)) : null;
    err(`unknown ${group.name} subcommand '${rest[0]}'${hint ? ` (did you mean '${hint}'?)` : ''}\n${groupUsage(group)}`);
    return 2;
  }
  let ctx: Context | null = null;
  try {
    const args = parseArgv(rest, allFlags(command));
    if (args.flags.help === true) {
      io.stdout.write(commandHelp(command) + '\n');
      return 0;
    }
    ctx = new Context(io, args);
    const code = await command.run(ctx);
    return typeof code === 'number' ? code : 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${e.message}\nusage: ${command.usage} (--help for options)`);
      return 2;
    }
    err(e instanceof Error ? e.message : String(e));
    if (io.env.RUNNEL_DEBUG && e instanceof Error && e.stack) io.stderr.write(e.stack + '\n');
    return 1;
  } finally {
    await ctx?.close().catch(() => undefined);
  }
}

/** The process entry for subcommands: real streams, exit with the command's code. */
export async function main(argv: readonly string[]): Promise<void> {
  // `runnel consume ... | head` closes stdout early: that ends the command, it is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  const code = await runCli(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    stderrIsTTY: process.stderr.isTTY === true,
  });
  // Let stdout drain (a pipe to `head` may have closed it: that is not an error).
  await new Promise<void>((r) => (process.stdout.writableNeedDrain ? process.stdout.once('drain', () => r()) : r()));
  process.exit(code);
}
