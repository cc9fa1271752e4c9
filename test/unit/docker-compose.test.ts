/**
 * docker-compose.yml and the Dockerfile cannot run here (no Docker engine), so they are checked
 * statically, and the same configuration is then run as a process: every KAFKA_* variable of the
 * compose service must be a valid broker config, and a broker started with them (on a free local
 * port) must serve kcat.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BrokerConfig, envLayer } from '../../src/config/broker-config.js';
import { REPO_ROOT, spawnBroker, tempDir, removeDir } from '../helpers/broker.js';
import { kcat } from '../helpers/clients.js';

interface Service {
  build?: string;
  image?: string;
  environment: Record<string, string>;
  ports: string[];
  volumes: string[];
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };

describe('docker-compose.yml', () => {
  it('declares services built from the Dockerfile with valid broker configs', () => {
    const services = Object.entries(compose.services);
    expect(services.length).toBeGreaterThan(0);
    for (const [name, svc] of services) {
      expect(svc.build ?? svc.image, name).toBeTruthy();
      const config = new BrokerConfig([envLayer(svc.environment)]);
      const listeners = config.listeners();
      expect(listeners.length).toBeGreaterThan(0);
      const published = svc.ports.map((p) => Number(String(p).split(':').pop()));
      for (const l of listeners) expect(published, `${name} publishes its listener port`).toContain(l.port);
      for (const v of svc.volumes) {
        const volume = v.split(':')[0]!;
        expect(compose.volumes ?? {}, `${name} volume ${volume} is declared`).toHaveProperty(volume);
      }
    }
  });

  it('has a Dockerfile whose entrypoint is built by npm run build', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const entry = /ENTRYPOINT \["node", (?:"--[^"]+", )*"([^"]+)"\]/.exec(dockerfile);
    expect(entry).not.toBeNull();
    expect(existsSync(join(REPO_ROOT, entry![1]!))).toBe(true);
    for (const dir of ['protocol', 'storage', 'src']) expect(dockerfile).toContain(`COPY ${dir} ./${dir}`);
  });

  it('runs the compose configuration as a local process', async () => {
    const [, svc] = Object.entries(compose.services)[0]!;
    const dataDir = tempDir('compose');
    // The container's listener and data dir are replaced with local ones; everything else is as declared.
    const flags: Record<string, string> = {};
    for (const [k, v] of Object.entries(svc.environment)) {
      if (['KAFKA_LISTENERS', 'KAFKA_ADVERTISED_LISTENERS', 'KAFKA_LOG_DIRS'].includes(k)) continue;
      flags[k.slice(6).toLowerCase().replace(/_/g, '.')] = v;
    }
    const b = await spawnBroker(dataDir, flags);
    try {
      await kcat(['-b', b.bootstrap, '-P', '-t', 'compose-check'], { input: 'x\n' });
      const meta = JSON.parse(await kcat(['-b', b.bootstrap, '-L', '-J', '-t', 'compose-check'])) as { topics: Array<{ partitions: unknown[] }> };
      expect(meta.topics[0]!.partitions).toHaveLength(Number(svc.environment.KAFKA_NUM_PARTITIONS));
    } finally {
      await b.kill('SIGTERM');
      removeDir(dataDir);
    }
  });
});
