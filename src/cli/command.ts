/** The shape of a `runnel` subcommand and of a group of them (`runnel topic create|list|...`). */
import type { FlagSpec } from './args.js';
import type { Context } from './context.js';

export interface CommandDef {
  /** The word after the group, e.g. 'create' (or '' for a group's only command). */
  name: string;
  summary: string;
  /** e.g. 'runnel topic create <topic> [options]' */
  usage: string;
  flags: FlagSpec[];
  /** Extra help text after the flags (examples). */
  details?: string;
  /** Resolves to the exit code (0 when void). */
  run(ctx: Context): Promise<number | void>;
}

export interface CommandGroupDef {
  name: string;
  summary: string;
  commands: CommandDef[];
  /** The command run when no subcommand word is given (produce, consume). */
  defaultCommand?: string;
  /** Kafka-tool action flags that select a subcommand: { create: 'create', list: 'list' }. */
  actionFlags?: Record<string, string>;
}
