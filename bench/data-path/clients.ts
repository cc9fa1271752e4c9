/**
 * Client drivers for the data-path tests (test/compat/data-*.test.ts, test/crash/broker-*.test.ts)
 * and benchmarks (bench/data-path/*.ts): produce generated records with kafkajs, kcat,
 * confluent-kafka-python and kafka-python, read them back into one record shape, and check a dump
 * against what was produced.
 *
 * This file is the entry point; the drivers are in clients/: records.ts (the generated records
 * and shared shapes), kafkajs.ts, kcat.ts, python.ts, dumps.ts (parse and verify consumed
 * records), stored-batches.ts (what the broker wrote), raw.ts (our own codecs over a socket).
 */
export * from './clients/records.js';
export * from './clients/kafkajs.js';
export * from './clients/kcat.js';
export * from './clients/python.js';
export * from './clients/dumps.js';
export * from './clients/stored-batches.js';
export * from './clients/raw.js';
