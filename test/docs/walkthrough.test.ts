/**
 * docs/walkthrough.md cannot rot: its snippets are extracted from the markdown and run here, in
 * order, against a fresh Runnel (in-process, with its schema registry), in one working directory:
 *   ```sh      run with bash; `runnel` is dist/runnel.mjs (build first), RUNNEL_BOOTSTRAP_SERVER and
 *              RUNNEL_SCHEMA_REGISTRY point at the test broker; it must exit 0. `sh no-test`: not run.
 *   ```python  run with Debian's python3 and confluent-kafka (PYTHONPATH .cache/pydeps for fastavro,
 *              as .ci/run installs it); skipped, saying so, when those are missing.
 *   ```text    lines the previous snippet's stdout must contain, in this order (trailing blanks aside).
 *   ```java    must be, whitespace aside, part of test/java/.../StreamsAggregates.java, the
 *              application java-streams-aggregates.test.ts runs.
 * The murmur2 claim is checked independently too: kafkajs's Java-compatible partitioner places the
 * walkthrough's keys where its consume output shows them.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import { REPO_ROOT, startTestBroker, tempDir, type TestBroker } from '../helpers/broker.js';
import { run } from '../helpers/clients.js';

const DOC = join(REPO_ROOT, 'docs', 'walkthrough.md');
const STREAMS_APP = join(REPO_ROOT, 'test', 'java', 'src', 'main', 'java', 'runnel', 'StreamsAggregates.java');
const PYDEPS = join(REPO_ROOT, '.cache', 'pydeps');
const PYTHON = '/usr/bin/python3';

interface Block {
  lang: string;
  info: string;
  body: string;
  line: number;
}

/** The fenced blocks of a markdown file (fences at the start of a line), in order. */
export function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const re = /^```(\w+)([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm;
  for (let m = re.exec(markdown); m !== null; m = re.exec(markdown)) {
    blocks.push({ lang: m[1]!, info: m[2]!.trim(), body: m[3]!, line: markdown.slice(0, m.index).split('\n').length });
  }
  return blocks;
}

/** Expected lines missing from `output` (each must come after the previous one's match). */
function missingLines(output: string, expected: string): string[] {
  const lines = output.split('\n').map((l) => l.trimEnd());
  let at = 0;
  const missing: string[] = [];
  for (const want of expected.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '')) {
    const i = lines.indexOf(want, at);
    if (i < 0) missing.push(want);
    else at = i + 1;
  }
  return missing;
}

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();
const pythonMissing = ((): string | null => {
  if (!existsSync(PYTHON)) return `no ${PYTHON}`;
  const r = spawnSync(PYTHON, ['-c', 'import confluent_kafka.schema_registry.avro, requests, fastavro'], { env: { ...process.env, PYTHONPATH: PYDEPS }, stdio: 'ignore' });
  return r.status === 0 ? null : 'confluent-kafka with requests and fastavro (.ci/run installs them) are missing for python3';
})();
const built = existsSync(join(REPO_ROOT, 'dist', 'runnel.mjs'));

let broker: TestBroker;
let work: string;
let env: Record<string, string>;
beforeAll(async () => {
  if (!built) return;
  broker = await startTestBroker();
  work = tempDir('walkthrough');
  const bin = join(work, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'runnel'), `#!/bin/sh\nexec "${process.execPath}" "${join(REPO_ROOT, 'dist', 'runnel.mjs')}" "$@"\n`);
  chmodSync(join(bin, 'runnel'), 0o755);
  env = { PATH: `${bin}:${process.env.PATH}`, RUNNEL_BOOTSTRAP_SERVER: broker.bootstrap, RUNNEL_SCHEMA_REGISTRY: broker.schemaRegistryUrl!, PYTHONPATH: PYDEPS };
});
afterAll(async () => {
  await broker?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!built)(`docs/walkthrough.md${built ? '' : ' (skipped: run npm run build first)'}`, () => {
  it('runs every snippet in order and finds the output it shows', async () => {
    const blocks = fencedBlocks(readFileSync(DOC, 'utf8'));
    expect(blocks.filter((b) => b.lang === 'sh' && b.info !== 'no-test').length).toBeGreaterThanOrEqual(8);
    const skipped: string[] = [];
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!;
      const where = `docs/walkthrough.md:${b.line}`;
      let output: string | null = null;
      if (b.lang === 'sh' && b.info !== 'no-test') {
        const r = await run('bash', ['-euo', 'pipefail', '-c', b.body], { cwd: work, env, timeoutMs: 60_000 });
        expect(r.code, `${where} exited ${r.code}\n${b.body}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
        output = r.stdout;
      } else if (b.lang === 'python') {
        if (pythonMissing !== null) {
          skipped.push(`${where}: ${pythonMissing}`);
          continue;
        }
        const r = await run(PYTHON, ['-c', b.body], { cwd: work, env, timeoutMs: 60_000 });
        expect(r.code, `${where} exited ${r.code}\n${r.stderr}`).toBe(0);
        output = r.stdout;
      } else if (b.lang === 'java') {
        expect(squash(readFileSync(STREAMS_APP, 'utf8')).includes(squash(b.body)), `${where}: this Java snippet is not in ${STREAMS_APP}`).toBe(true);
      }
      const next = blocks[i + 1];
      if (output !== null && next?.lang === 'text') {
        expect(missingLines(output, next.body), `${where}: output lacks these lines\n--- output:\n${output}`).toEqual([]);
      }
    }
    if (skipped.length > 0) console.warn(`walkthrough snippets skipped: ${skipped.join('; ')}`);
  }, 300_000);

  it("places the walkthrough's keys as murmur2 does (kafkajs's Java-compatible partitioner)", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
    const where = (key: string): number => partitioner({ topic: 'orders', partitionMetadata, message: { key, value: null } });
    expect(['alice', 'bob', 'carol'].map(where)).toEqual([0, 0, 2]);
  });
});
