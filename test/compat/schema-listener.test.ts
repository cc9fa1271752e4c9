/**
 * The registry's listener as an operator meets it: disabled with `none` (validation still works
 * from the embedding API), an explicit port that cannot be bound stops startup with a message
 * naming the key, and a busy default port only warns.
 */
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, spawnBroker, startTestBroker, tempDir } from '../helpers/broker.js';
import { freePort } from '../../bench/data-path/clients.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

describe('schema registry listener', () => {
  it('none: no REST API, but the registry and validation run', async () => {
    const b = await startTestBroker({ config: { 'runnel.schema.registry.listener': 'none' } });
    try {
      expect(b.schemaRegistryUrl).toBeNull();
      expect(await b.broker.schemaRegistry.register('t-value', { schema: '"string"' })).toEqual({ id: 1 });
    } finally {
      await b.cleanup();
    }
  });

  it('an explicit busy port stops startup naming the key; a busy default port only warns', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const dir = tempDir('schema-busy');
      dirs.push(dir);
      await expect(startTestBroker({ dataDir: dir, config: { 'runnel.schema.registry.listener': `127.0.0.1:${port}` } })).rejects.toThrow(
        /Schema registry cannot bind 127\.0\.0\.1:\d+ \(runnel\.schema\.registry\.listener\): the port is already in use/,
      );
      // A Kafka listener on a fixed port gets the default registry port, 8081; hold it so it is busy.
      const held = createServer();
      const ok = await new Promise<boolean>((r) => held.once('error', () => r(false)).listen(8081, '127.0.0.1', () => r(true)));
      try {
        const dir2 = tempDir('schema-default-busy');
        dirs.push(dir2);
        const b = await spawnBroker(dir2, {}, await freePort());
        try {
          // Busy either because we hold it or because something else on this machine does.
          const started = JSON.parse(b.logs.find((l) => l.includes('"broker started"'))!) as { schemaRegistry: string | null };
          if (ok) expect(started.schemaRegistry).toBeNull();
          if (ok) expect(b.logs.some((l) => l.includes('schema registry REST API not started'))).toBe(true);
        } finally {
          await b.kill('SIGTERM');
        }
      } finally {
        held.close();
      }
    } finally {
      blocker.close();
    }
  });
});
