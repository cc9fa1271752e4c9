/**
 * `runnel schema register|get|list|check` — Avro schemas (.avsc files) in a Confluent-compatible
 * schema registry: Runnel's own, Confluent's or Karapace, at --schema-registry URL.
 */
import { readFile } from 'node:fs/promises';
import { UsageError, type FlagSpec } from '../args.js';
import type { CommandDef, CommandGroupDef } from '../command.js';
import type { Context } from '../context.js';
import { renderPairs } from '../table.js';
import { SchemaRegistryClient } from '../schema-registry.js';

const REGISTRY_FLAG: FlagSpec = {
  name: 'schema-registry',
  aliases: ['schema-registry-url', 'registry'],
  type: 'string',
  value: 'URL',
  description: 'Schema registry (env RUNNEL_SCHEMA_REGISTRY; default http://127.0.0.1:8081)',
};

function registry(ctx: Context): SchemaRegistryClient {
  return new SchemaRegistryClient(ctx.string('schema-registry') ?? ctx.io.env.RUNNEL_SCHEMA_REGISTRY ?? 'http://127.0.0.1:8081');
}

/** The schema text of an .avsc file, checked to be JSON (the registry validates it as Avro). */
async function readSchemaFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

function versionArg(v: string | undefined): number | 'latest' {
  if (v === undefined || v === 'latest') return 'latest';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--version must be a positive number or latest, not '${v}'`);
  return n;
}

const register: CommandDef = {
  name: 'register',
  summary: 'Register an .avsc file as a new version of a subject',
  usage: 'runnel schema register <subject> <file.avsc>',
  flags: [REGISTRY_FLAG, { name: 'subject', type: 'string', description: 'Subject (or the first argument), e.g. orders-value' }, { name: 'file', aliases: ['f'], type: 'string', value: 'PATH', description: 'The .avsc file (or the second argument)' }],
  async run(ctx) {
    const subject = ctx.string('subject') ?? ctx.args.positionals[0];
    const file = ctx.string('file') ?? ctx.args.positionals[ctx.string('subject') ? 0 : 1];
    if (!subject || !file) throw new UsageError('give a subject and an .avsc file');
    const id = await registry(ctx).register(subject, await readSchemaFile(file));
    if (ctx.json) ctx.printJson({ subject, id });
    else ctx.out(`Registered ${file} under subject ${subject}: schema id ${id}.`);
  },
};

const get: CommandDef = {
  name: 'get',
  summary: 'A schema by subject and version, or by id',
  usage: 'runnel schema get <subject> [--version N|latest] | --id ID',
  flags: [REGISTRY_FLAG, { name: 'version', aliases: ['v'], type: 'string', value: 'N|latest', description: 'Version of the subject', default: 'latest' }, { name: 'id', type: 'number', description: 'A schema by its global id' }],
  async run(ctx) {
    const reg = registry(ctx);
    const id = ctx.number('id');
    if (id !== undefined) {
      const s = await reg.getById(id);
      if (ctx.json) ctx.printJson({ id, schemaType: s.schemaType ?? 'AVRO', schema: JSON.parse(s.schema) });
      else ctx.out(JSON.stringify(JSON.parse(s.schema), null, 2));
      return;
    }
    const subject = ctx.args.positionals[0];
    if (!subject) throw new UsageError('give a subject (or --id ID)');
    const v = await reg.getVersion(subject, versionArg(ctx.string('version')));
    if (ctx.json) return ctx.printJson({ subject: v.subject, version: v.version, id: v.id, schemaType: v.schemaType ?? 'AVRO', schema: JSON.parse(v.schema) });
    ctx.out(renderPairs([['subject', v.subject], ['version', v.version], ['id', v.id], ['type', v.schemaType ?? 'AVRO']]) + JSON.stringify(JSON.parse(v.schema), null, 2));
  },
};

const list: CommandDef = {
  name: 'list',
  summary: 'Subjects, or the versions of one subject',
  usage: 'runnel schema list [<subject>]',
  flags: [REGISTRY_FLAG],
  async run(ctx) {
    const reg = registry(ctx);
    const subject = ctx.args.positionals[0];
    if (subject) {
      const versions = await reg.listVersions(subject);
      const rows = await Promise.all(versions.map((v) => reg.getVersion(subject, v)));
      ctx.printRows(['SUBJECT', 'VERSION', 'ID'], rows.map((r) => [r.subject, r.version, r.id]), rows.map((r) => ({ subject: r.subject, version: r.version, id: r.id })));
      return;
    }
    const subjects = (await reg.listSubjects()).sort();
    const latest = await Promise.all(subjects.map((s) => reg.getVersion(s, 'latest').catch(() => null)));
    ctx.printRows(
      ['SUBJECT', 'LATEST-VERSION', 'ID'],
      subjects.map((s, i) => [s, latest[i]?.version, latest[i]?.id]),
      subjects.map((s, i) => ({ subject: s, latestVersion: latest[i]?.version ?? null, id: latest[i]?.id ?? null })),
    );
  },
};

const check: CommandDef = {
  name: 'check',
  summary: "Whether an .avsc file is compatible with a subject's version (exit 1 when not)",
  usage: 'runnel schema check <subject> <file.avsc> [--version N|latest]',
  flags: [REGISTRY_FLAG, { name: 'version', aliases: ['v'], type: 'string', value: 'N|latest', description: 'Version to check against', default: 'latest' }],
  async run(ctx) {
    const [subject, file] = ctx.args.positionals;
    if (!subject || !file) throw new UsageError('give a subject and an .avsc file');
    const r = await registry(ctx).checkCompatibility(subject, await readSchemaFile(file), versionArg(ctx.string('version')));
    if (ctx.json) ctx.printJson({ subject, file, compatible: r.compatible, messages: r.messages });
    else ctx.out(`${file} is ${r.compatible ? 'compatible' : 'NOT compatible'} with ${subject} (${ctx.string('version') ?? 'latest'}).${r.messages.length > 0 ? `\n${r.messages.map((m) => `  ${m}`).join('\n')}` : ''}`);
    return r.compatible ? 0 : 1;
  },
};

export const group: CommandGroupDef = { name: 'schema', summary: 'Register, get, list and check Avro schemas', commands: [register, get, list, check] };
