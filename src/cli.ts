#!/usr/bin/env -S node --initial-old-space-size=64
/**
 * The `runnel` command: `runnel start ...` runs a broker (also when no command is given, so
 * `runnel server.properties --num.partitions=3` works as before); every other command
 * (`topic`, `produce`, `consume`, `group`, `offsets`, `config`, `schema`, `perf`) is a Kafka
 * client. Each side is loaded with import() only when asked for: starting a broker never parses
 * the client and CLI modules, and `runnel topic list` never loads the broker.
 */
import { existsSync } from 'node:fs';

/** Words that name a client command (kept here so dispatching needs no other module). */
const CLIENT_COMMANDS = new Set(['topic', 'topics', 'produce', 'consume', 'group', 'groups', 'offsets', 'config', 'configs', 'schema', 'schemas', 'perf', 'help', 'version', '--version']);

async function dispatch(argv: string[]): Promise<void> {
  const first = argv[0];
  if (first === 'start') return (await import('./cli/start.js')).runStart(argv.slice(1));
  if (first === '--help' || first === '-h') return (await import('./cli/main.js')).main(argv);
  const word = first?.replace(/\.sh$/, '');
  // A first word that is not a command but names a file (or looks like a path) is the
  // server.properties of `runnel server.properties ...`, as before subcommands existed.
  const looksLikeFile = (w: string) => existsSync(w) || w.includes('/') || w.includes('.');
  const isClient = word !== undefined && !word.startsWith('-') && (CLIENT_COMMANDS.has(word) || /^kafka-|^console-|^(consumer-groups|get-offsets)$/.test(word) || !looksLikeFile(word));
  if (isClient) return (await import('./cli/main.js')).main(argv);
  return (await import('./cli/start.js')).runStart(argv);
}

void dispatch(process.argv.slice(2));
