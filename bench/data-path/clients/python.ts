/**
 * The Python clients as data-path clients — confluent-kafka-python ('ck') and kafka-python
 * ('kp') — through test/compat/py/dp_clients.py, which produces the same generated records and
 * writes consumed records as the TSV dump that dumps.ts parses.
 */
import { readFileSync } from 'node:fs';
import { python } from '../../../test/helpers/clients.js';
import { parseDump } from './dumps.js';
import type { Codec, DumpRecord, GenOptions, ProduceResult } from './records.js';

export interface PyProduceOptions extends GenOptions {
  compression?: Codec;
  acks?: number;
  idempotence?: boolean;
  partition?: number;
  config?: Record<string, unknown>;
  sync?: boolean;
  offsets?: boolean;
  timeoutMs?: number;
  lingerMs?: number;
}

export function pyProduce(client: 'ck' | 'kp', bootstrap: string, topic: string, o: PyProduceOptions, timeoutMs = 180_000): Promise<ProduceResult & { unflushed?: number }> {
  return python('dp_clients.py', { op: 'produce', client, bootstrap, topic, ...o }, timeoutMs);
}

export interface PyConsumeOptions {
  partitions?: number;
  assign?: Array<[number, number | string]>;
  offset?: 'earliest' | 'latest' | number;
  reset?: 'earliest' | 'latest' | 'error' | 'none';
  expect?: number;
  idleMs?: number;
  timeoutMs?: number;
  out?: string;
  config?: Record<string, unknown>;
}

export interface PyConsumeResult {
  count: number;
  errors: string[];
  positions: Record<string, number>;
  elapsed: number;
}

export function pyConsume(client: 'ck' | 'kp', bootstrap: string, topic: string, o: PyConsumeOptions): Promise<PyConsumeResult> {
  return python('dp_clients.py', { op: 'consume', client, bootstrap, topic, ...o }, (o.timeoutMs ?? 60_000) + 30_000);
}

/** Consumes into a temp dump file and parses it. */
export async function pyConsumeRecords(client: 'ck' | 'kp', bootstrap: string, topic: string, dumpPath: string, o: PyConsumeOptions): Promise<{ result: PyConsumeResult; records: DumpRecord[] }> {
  const result = await pyConsume(client, bootstrap, topic, { ...o, out: dumpPath });
  return { result, records: parseDump(readFileSync(dumpPath, 'utf8'), client) };
}
