/**
 * The broker's V8 flags (src/node-flags.ts) are given everywhere a broker process starts: the
 * `runnel` command's shebang, `npm start` and the Docker image. (Tests and the benchmark suite
 * take them from the constant.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BROKER_NODE_FLAGS } from '../../src/node-flags.js';
import { REPO_ROOT } from '../helpers/broker.js';

const read = (p: string) => readFileSync(join(REPO_ROOT, p), 'utf8');

describe('broker node flags', () => {
  it('are on the runnel shebang, in npm start and in the Dockerfile entry point', () => {
    const flags = BROKER_NODE_FLAGS.join(' ');
    expect(read('src/cli.ts').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
    expect(JSON.parse(read('package.json')).scripts.start).toBe(`node ${flags} dist/runnel.mjs start`);
    expect(read('Dockerfile')).toContain(`ENTRYPOINT ["node", ${BROKER_NODE_FLAGS.map((f) => JSON.stringify(f)).join(', ')}, "dist/runnel.mjs"]`);
  });
});
