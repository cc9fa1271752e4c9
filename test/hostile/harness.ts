/**
 * The hostile-client harness (issue 14): a broker under attack and the three witnesses that judge
 * each attack.
 *
 * - The broker runs as a child process (`node dist/runnel.mjs`, built by `npm test`), so a crash is
 *   an observed exit and RSS/CPU are the broker's own, read from /proc/<pid>.
 * - A canary (canary-worker.mjs, in a worker thread so the test's busy event loop cannot delay it)
 *   sends ApiVersions every ~20 ms on its own connection and records the worst latency, counting a
 *   request still unanswered as `now - sent`. The same worker samples the broker's VmRSS every
 *   20 ms and keeps the peak.
 * - A kafkajs producer/consumer pair writes sequence-numbered records (acks=-1) to its own topic
 *   and reads them back in a group; after each attack every acknowledged record must have been
 *   consumed.
 *
 * `Session.attack()` runs one attack inside that frame and returns a list of violations (empty
 * when the broker held up), with the measurements printed on one line per case for the report.
 * When an attack kills the broker, the next `ensureUp()` starts a fresh one, so cases stay
 * independent.
 *
 * This file is the entry point; the pieces are in harness/: limits.ts (bounds, flags, helpers),
 * priority.ts (the niced attacker), proc.ts (/proc readers), broker.ts (the child), monitor.ts
 * (canary + RSS), pair.ts (the kafkajs pair), session.ts (the attack frame).
 */
export { BASE_FLAGS, LIMITS, mib, sleep, withTimeout } from './harness/limits.js';
export { niceAttacker } from './harness/priority.js';
export { openFilesLimit, readCpuSeconds, readRss } from './harness/proc.js';
export { HostileBroker } from './harness/broker.js';
export { Monitor } from './harness/monitor.js';
export { KafkaPair } from './harness/pair.js';
export { Session, type AttackLimits, type AttackReport, type SessionOptions } from './harness/session.js';
