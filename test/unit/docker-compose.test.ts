/**
 * docker-compose.yml (etcd + three brokers), docker-compose.single.yml (one broker) and the
 * Dockerfile, checked statically without Docker (test/compose/compose.test.ts runs them on an
 * engine) — ports, KAFKA_* env names, listeners for the compose network and the host, volumes,
 * healthchecks, the cluster's etcd and replication settings, non-root user, shutdown budget — and then the same env-driven startup
 * runs as a plain process: `node dist/runnel.mjs start` with the image's and the service's KAFKA_*
 * variables (ports and paths swapped for local ones), probed with the compose healthcheck command
 * itself, used through both listeners, and stopped with SIGTERM within Docker's 10 s.
 */
import { readFileSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BrokerConfig, envLayer } from '../../src/config/broker-config.js';
import { BROKER_CONFIG_BY_NAME } from '../../src/config/definitions.js';
import { REPO_ROOT, tempDir, removeDir } from '../helpers/broker.js';
import { run } from '../helpers/clients.js';

interface Service {
  build?: string;
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
  image?: string;
  hostname?: string;
  environment: Record<string, string>;
  ports: string[];
  expose?: string[];
  volumes: string[];
  healthcheck: { test: string[]; interval?: string; start_period?: string };
  stop_grace_period?: string;
  init?: boolean;
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}
const load = (file: string) => parse(readFileSync(join(REPO_ROOT, file), 'utf8'), { merge: true }) as ComposeFile;
const FILES: Record<string, ComposeFile> = { 'docker-compose.yml': load('docker-compose.yml'), 'docker-compose.single.yml': load('docker-compose.single.yml') };
const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
/** Every Runnel broker service of both files (those with a node id), as "file service". */
const services: Array<[string, Service, ComposeFile]> = Object.entries(FILES).flatMap(([file, doc]) =>
  Object.entries(doc.services)
    .filter(([, svc]) => svc.environment?.KAFKA_NODE_ID !== undefined)
    .map(([name, svc]): [string, Service, ComposeFile] => [`${file} ${name}`, svc, doc]),
);
const cluster = FILES['docker-compose.yml']!;
const clusterBrokers = Object.entries(cluster.services).filter(([, svc]) => svc.environment?.KAFKA_NODE_ID !== undefined);

/** ENV lines of the final stage: KEY=VALUE pairs. */
function dockerfileEnv(): Record<string, string> {
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const m of finalStage.matchAll(/^ENV (.+)$/gm)) for (const kv of m[1]!.trim().split(/\s+/)) {
    const eq = kv.indexOf('=');
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

const seconds = (d: string): number => {
  const m = /^(\d+)(ms|s|m)$/.exec(d)!;
  return Number(m[1]) * (m[2] === 'ms' ? 0.001 : m[2] === 'm' ? 60 : 1);
};

const portOf = (hostPort: string): number => Number(hostPort.split(':').pop());

/** A compose port mapping: [host ip:]host port:container port (short syntax). */
function portMapping(mapping: string): { hostIp: string | null; hostPort: number; containerPort: number } {
  const parts = mapping.split(':');
  if (parts.length === 1) return { hostIp: null, hostPort: Number(parts[0]), containerPort: Number(parts[0]) };
  const containerPort = Number(parts.pop());
  const hostPort = Number(parts.pop());
  return { hostIp: parts.length > 0 ? parts.join(':') : null, hostPort, containerPort };
}

describe('docker-compose.yml and docker-compose.single.yml', () => {
  it('declares brokers built from the Dockerfile whose KAFKA_* variables are valid broker configs', () => {
    expect(services.length).toBe(4);
    for (const [name, svc] of services) {
      expect(svc.build ?? svc.image, name).toBeTruthy();
      for (const k of Object.keys(svc.environment)) expect(k, `${name}: ${k}`).toMatch(/^KAFKA_[A-Z0-9_]+$/);
      const config = new BrokerConfig([envLayer(svc.environment)]);
      expect(config.warnings, name).toEqual([]);
      // No key is silently unknown: each maps to a config of the table.
      for (const k of Object.keys(svc.environment)) expect(BROKER_CONFIG_BY_NAME.has(k.slice(6).toLowerCase().replace(/_{1,3}/g, (m) => (m === '___' ? '-' : m === '__' ? '_' : '.'))), k).toBe(true);
    }
  });

  it('has a listener for the compose network and one for the host, each advertised where its clients are', () => {
    for (const [name, svc] of services) {
      const config = new BrokerConfig([envLayer(svc.environment)]);
      const listeners = config.listeners();
      const advertised = config.advertisedListeners();
      expect(listeners.map((l) => l.name).sort()).toEqual(advertised.map((a) => a.name).sort());
      const published = svc.ports.map(portOf);
      const hostFacing = advertised.filter((a) => a.host === 'localhost' || a.host === '127.0.0.1');
      const networkFacing = advertised.filter((a) => a.host === (svc.hostname ?? name.split(' ')[1]));
      expect(hostFacing, `${name}: a listener advertised to the host`).toHaveLength(1);
      expect(networkFacing, `${name}: a listener advertised on the compose network`).toHaveLength(1);
      for (const a of hostFacing) {
        const l = listeners.find((x) => x.name === a.name)!;
        expect(l.host, `${name} ${a.name} binds all interfaces`).toBe('0.0.0.0');
        expect(published, `${name} publishes ${a.name}`).toContain(l.port);
        expect(svc.ports.some((p) => portMapping(p).hostPort === a.port && portMapping(p).containerPort === l.port), `${name}: host port ${a.port} maps to the listener`).toBe(true);
      }
      for (const a of networkFacing) {
        const l = listeners.find((x) => x.name === a.name)!;
        expect(l.host).toBe('0.0.0.0');
        expect(a.port).toBe(l.port);
        expect([...(svc.expose ?? []).map(Number), ...published], `${name} exposes ${a.name}`).toContain(l.port);
      }
    }
  });

  // Issue 14 item 11: the Kafka port, admin HTTP and schema registry are unauthenticated (the
  // registry takes PUT /mode and deletes), so nothing is published beyond the host's loopback.
  it('publishes every port on the host loopback only', () => {
    for (const [file, doc] of Object.entries(FILES)) for (const [name, svc] of Object.entries(doc.services)) {
      for (const p of svc.ports ?? []) expect(portMapping(p).hostIp, `${file} ${name}: ${p} must be published as 127.0.0.1:...`).toBe('127.0.0.1');
    }
  });

  it('keeps data in a declared named volume at the data directory', () => {
    for (const [name, svc, doc] of services) {
      const dataDir = new BrokerConfig([envLayer({ ...dockerfileEnv(), ...svc.environment })]).dataDir();
      const mount = svc.volumes.map((v) => v.split(':')).find(([, target]) => target === dataDir);
      expect(mount, `${name} mounts a volume at ${dataDir}`).toBeDefined();
      expect(doc.volumes ?? {}, `${name} volume ${mount![0]} is declared`).toHaveProperty(mount![0]!);
    }
  });

  it('checks health on /ready of the published admin port, and leaves time for a clean stop', () => {
    const shutdownMs = BROKER_CONFIG_BY_NAME.get('runnel.shutdown.timeout.ms')!.default as number;
    for (const [name, svc] of services) {
      const admin = svc.environment.KAFKA_RUNNEL_ADMIN_LISTENER ?? dockerfileEnv().KAFKA_RUNNEL_ADMIN_LISTENER!;
      const adminPort = portOf(admin);
      expect(svc.ports.map(portOf), `${name} publishes the admin port`).toContain(adminPort);
      const test = svc.healthcheck.test.join(' ');
      expect(test).toContain(`http://127.0.0.1:${adminPort}/ready`);
      expect(svc.init, `${name}: an init process forwards SIGTERM`).toBe(true);
      expect(seconds(svc.stop_grace_period ?? '10s') * 1000).toBeGreaterThan(shutdownMs);
      expect(seconds(svc.stop_grace_period ?? '10s')).toBeLessThanOrEqual(10);
    }
  });
});

describe('docker-compose.yml: the three-broker cluster', () => {
  const etcd = cluster.services.etcd!;

  it('runs one etcd (health-checked, with a data volume, never published) that every broker starts after', () => {
    expect(etcd.image).toMatch(/^gcr\.io\/etcd-development\/etcd:v3\.5\.\d+$/);
    expect(etcd.ports ?? []).toEqual([]);
    expect(etcd.healthcheck.test.join(' ')).toContain('endpoint health');
    const dataDir = /--data-dir=(\S+)/.exec(etcd.command!.join(' '))![1];
    const mount = etcd.volumes.map((v) => v.split(':')).find(([, target]) => target === dataDir);
    expect(mount, `etcd mounts a volume at ${dataDir}`).toBeDefined();
    expect(cluster.volumes).toHaveProperty(mount![0]!);
    // The client URL etcd advertises is the one the brokers are given.
    const advertised = /--advertise-client-urls=(\S+)/.exec(etcd.command!.join(' '))![1];
    for (const [name, svc] of clusterBrokers) {
      expect(svc.environment.KAFKA_RUNNEL_ETCD_ENDPOINTS, name).toBe(advertised);
      expect(svc.depends_on?.etcd?.condition, name).toBe('service_healthy');
    }
  });

  it('has three brokers, node ids 1-3, with distinct host ports and volumes, replicating over the compose network', () => {
    expect(clusterBrokers.map(([, svc]) => Number(svc.environment.KAFKA_NODE_ID)).sort()).toEqual([1, 2, 3]);
    const hostPorts = clusterBrokers.flatMap(([, svc]) => svc.ports.map((p) => portMapping(p).hostPort));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    const volumes = clusterBrokers.map(([, svc]) => svc.volumes[0]!.split(':')[0]);
    expect(new Set(volumes).size).toBe(3);
    for (const [name, svc] of clusterBrokers) {
      const config = new BrokerConfig([envLayer(svc.environment)]);
      const interBroker = config.advertisedListeners().find((a) => a.name === svc.environment.KAFKA_INTER_BROKER_LISTENER_NAME);
      expect(interBroker?.host, `${name}: followers fetch from the compose network name`).toBe(svc.hostname);
    }
  });

  it('keeps three replicas, two in sync for acks=all, for topics and the internal topics', () => {
    for (const [name, svc] of clusterBrokers) {
      const config = new BrokerConfig([envLayer(svc.environment)]);
      expect(config.get('default.replication.factor'), name).toBe(3);
      expect(config.get('min.insync.replicas'), name).toBe(2);
      expect(config.get('offsets.topic.replication.factor'), name).toBe(3);
      expect(config.get('transaction.state.log.replication.factor'), name).toBe(3);
    }
  });

  it('docker-compose.single.yml is one broker without etcd', () => {
    const single = Object.values(FILES['docker-compose.single.yml']!.services);
    expect(single).toHaveLength(1);
    expect(single[0]!.environment.KAFKA_RUNNEL_ETCD_ENDPOINTS).toBeUndefined();
  });
});

describe('Dockerfile', () => {
  it('builds the bundle, runs it as a non-root user on a slim Node image, with a data volume', () => {
    const entry = /ENTRYPOINT \["node", (?:"--[^"]+", )*"([^"]+)"\]/.exec(dockerfile);
    expect(entry).not.toBeNull();
    expect(existsSync(join(REPO_ROOT, entry![1]!))).toBe(true);
    for (const dir of ['protocol', 'storage', 'src']) expect(dockerfile).toContain(`COPY ${dir} ./${dir}`);
    // The bundle's lazily loaded chunks travel with it.
    expect(dockerfile).toMatch(/COPY --from=build \/app\/dist\/chunks \.\/dist\/chunks/);
    expect(existsSync(join(REPO_ROOT, 'dist', 'chunks'))).toBe(true);
    // So does the schema registry's parsing thread, a second entry of the bundle.
    expect(dockerfile).toMatch(/COPY --from=build [^\n]*\/app\/dist\/schema-parse-worker\.mjs [^\n]*\.\/dist\//);
    expect(existsSync(join(REPO_ROOT, 'dist', 'schema-parse-worker.mjs'))).toBe(true);
    const stages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!);
    expect(stages[stages.length - 1]).toMatch(/^node:20(\.\d+)*-(bookworm-slim|slim|alpine)/);
    const user = [...dockerfile.matchAll(/^USER (\S+)/gm)].pop()?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    const env = dockerfileEnv();
    expect(dockerfile).toContain(`VOLUME ${env.KAFKA_LOG_DIRS}`);
    expect(dockerfile).toMatch(new RegExp(`chown node:node ${env.KAFKA_LOG_DIRS}`));
    expect(new BrokerConfig([envLayer(env)]).listeners()[0]).toMatchObject({ host: '0.0.0.0', port: 9092 });
  });

  it('has a HEALTHCHECK on /ready of its admin listener and exposes its ports', () => {
    const env = dockerfileEnv();
    const adminPort = portOf(env.KAFKA_RUNNEL_ADMIN_LISTENER!);
    const hc = /^HEALTHCHECK (.+)$/m.exec(dockerfile)?.[1];
    expect(hc).toContain(`http://127.0.0.1:${adminPort}/ready`);
    const exposed = /^EXPOSE (.+)$/m.exec(dockerfile)![1]!.split(/\s+/).map(Number);
    expect(exposed).toEqual(expect.arrayContaining([9092, adminPort]));
    expect(dockerfile).toMatch(/^STOPSIGNAL SIGTERM$/m);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('the container configuration as a process', () => {
  it('starts from KAFKA_* variables alone, is healthy, serves both listeners, and stops cleanly on SIGTERM', async () => {
    // The one-broker file: a cluster broker would wait for etcd.
    const [name, svc] = services.find(([n]) => n.startsWith('docker-compose.single.yml '))!;
    const dataDir = tempDir('compose');
    // The image's ENV, then the service's environment — as Docker applies them — with container
    // ports and paths swapped for free local ones. Listener names, keys and everything else stay.
    const env: Record<string, string> = { ...dockerfileEnv(), ...svc.environment };
    const ports = new Map<number, number>();
    const local = async (port: number) => ports.get(port) ?? (ports.set(port, await freePort()), ports.get(port)!);
    for (const l of new BrokerConfig([envLayer(env)]).listeners()) await local(l.port);
    env.KAFKA_LISTENERS = env.KAFKA_LISTENERS!.replace(/:\/\/0\.0\.0\.0:(\d+)/g, (_, p: string) => `://127.0.0.1:${ports.get(Number(p))}`);
    env.KAFKA_ADVERTISED_LISTENERS = env.KAFKA_ADVERTISED_LISTENERS!.replace(/:\/\/([^:,]+):(\d+)/g, (_, _h: string, p: string) => `://127.0.0.1:${ports.get(Number(p))}`);
    env.KAFKA_LOG_DIRS = dataDir;
    const adminPort = await freePort();
    env.KAFKA_RUNNEL_ADMIN_LISTENER = `127.0.0.1:${adminPort}`;
    if (env.KAFKA_RUNNEL_SCHEMA_REGISTRY_LISTENER) env.KAFKA_RUNNEL_SCHEMA_REGISTRY_LISTENER = `127.0.0.1:${await freePort()}`;
    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'runnel.mjs'), 'start'], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    const logs: string[] = [];
    child.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // The compose healthcheck command, pointed at the local admin port.
    const [cmd, ...args] = svc.healthcheck.test.slice(1).map((a) => a.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${adminPort}`));
    const healthy = async () => (await run(cmd === 'node' ? process.execPath : cmd!, args, { timeoutMs: 10_000 })).code === 0;
    try {
      const deadline = Date.now() + 20_000;
      while (!(await healthy())) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${name} never became healthy:\n${logs.join('')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // Both listeners serve clients; topics get the configured partition count.
      const partitions = Number(svc.environment.KAFKA_NUM_PARTITIONS);
      for (const [i, port] of [...ports.values()].entries()) {
        const topic = `compose-check-${i}`;
        const produced = await run(process.execPath, [join(REPO_ROOT, 'dist', 'runnel.mjs'), 'produce', topic, '--bootstrap-server', `127.0.0.1:${port}`, '--quiet'], { input: 'x\n' });
        expect(produced.code, produced.stderr).toBe(0);
        const described = await run(process.execPath, [join(REPO_ROOT, 'dist', 'runnel.mjs'), 'topic', 'describe', topic, '--bootstrap-server', `127.0.0.1:${port}`, '--format', 'json']);
        expect(JSON.parse(described.stdout)[0].partitionCount).toBe(partitions);
      }
      const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      expect(metrics).toMatch(/^kafka_server_brokertopicmetrics_messagesin_total 2$/m);
      const t0 = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(existsSync(join(dataDir, '.kafka_cleanshutdown')), 'clean-shutdown marker').toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      removeDir(dataDir);
    }
  });
});
