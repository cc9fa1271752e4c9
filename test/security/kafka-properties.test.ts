/**
 * A server.properties written for Apache Kafka's SSL setup starts Runnel unchanged (issue 20):
 * `runnel start server.properties` (dist/, build first) with Kafka's KRaft lines (ignored with a
 * warning), named listeners mapped to PLAINTEXT and SSL, PEM stores, mTLS, principal rules and the
 * JVM-only ssl.* keys; then a client with a certificate produces over the SSL listener.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { BROKER_NODE_FLAGS } from '../../src/node-flags.js';
import { REPO_ROOT, tempDir } from '../helpers/broker.js';
import { makeCerts, type CertSet } from '../helpers/certs.js';

let certs: CertSet | undefined;
let dir: string | undefined;
let child: ReturnType<typeof spawn> | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

describe("Kafka's server.properties for SSL", () => {
  it('starts unchanged and serves mTLS on its SSL listener', async () => {
    certs = makeCerts('certs-props');
    dir = tempDir('kafka-props');
    const props = join(dir, 'server.properties');
    writeFileSync(
      props,
      [
        '# Written for Apache Kafka 4 (KRaft, SSL for clients)',
        'process.roles=broker,controller',
        'node.id=1',
        'controller.quorum.voters=1@localhost:9093',
        'controller.listener.names=CONTROLLER',
        'listeners=INTERNAL://127.0.0.1:0,CLIENTS://127.0.0.1:0',
        'listener.security.protocol.map=INTERNAL:PLAINTEXT,CLIENTS:SSL,CONTROLLER:PLAINTEXT',
        'inter.broker.listener.name=INTERNAL',
        `log.dirs=${join(dir, 'data')}`,
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${certs.brokerPem}`,
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${certs.caCert}`,
        'ssl.client.auth=required',
        'ssl.enabled.protocols=TLSv1.2,TLSv1.3',
        'ssl.protocol=TLSv1.3',
        'ssl.endpoint.identification.algorithm=https',
        'ssl.keymanager.algorithm=SunX509',
        'ssl.principal.mapping.rules=RULE:^CN=(.*?),OU=clients,.*$/$1/,DEFAULT',
        'listener.name.controller.ssl.client.auth=none',
        'num.partitions=1',
        '',
      ].join('\n'),
    );
    child = spawn(process.execPath, [...BROKER_NODE_FLAGS, join(REPO_ROOT, 'dist', 'runnel.mjs'), props], { stdio: ['ignore', 'ignore', 'pipe'] });
    const lines: string[] = [];
    const started = await new Promise<{ listeners: string[] }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start:\n${lines.join('\n')}`)), 20_000);
      child!.once('exit', (code) => reject(new Error(`exited ${code}:\n${lines.join('\n')}`)));
      createInterface({ input: child!.stderr! }).on('line', (line) => {
        lines.push(line);
        if (line.includes('"broker started"')) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as { listeners: string[] });
        }
      });
    });
    const ssl = started.listeners.find((l) => l.startsWith('CLIENTS://'))!.replace('CLIENTS://', '');
    expect(lines.filter((l) => l.includes('has no effect in Runnel')).length).toBeGreaterThanOrEqual(3);
    const kafka = new Kafka({
      brokers: [ssl],
      clientId: 'props',
      logLevel: logLevel.NOTHING,
      ssl: { ca: [readFileSync(certs.caCert)], key: readFileSync(certs.client('app').key), cert: readFileSync(certs.client('app').cert) },
    });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const [meta] = await producer.send({ topic: 'props-topic', acks: -1, messages: [{ value: 'hello' }] });
    expect(meta!.errorCode).toBe(0);
    await producer.disconnect();
  }, 60_000);
});
