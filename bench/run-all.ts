/**
 * The benchmark suite: Runnel against this machine's limits, librdkafka's mock cluster and Apache
 * Kafka, all measured in one run with the same clients and the same data (issues 8 and 10).
 *
 *   npm run bench                         everything, ~9 min on 2 cores (budget: 15)
 *   npm run bench -- --quick              smaller counts, one repetition, ~4 min
 *   npm run bench -- --only w2,w3         some workloads (w1..w6; limits always run)
 *   npm run bench -- --brokers runnel,kafka   a subset of runnel, runnel-nofsync, mock, kafka
 *   npm run bench -- --repeats 3 --no-kafkajs --json out.json --md out.md
 *   npm run bench -- --report bench/.work/suite/results-<time>.json   re-render a saved run
 *   node dist/bench/suite/w3-latency.js   one workload (each bench/suite/w*.ts runs alone; = --only w3)
 *   npx tsx bench/run-all.ts ...          the same without a build of bench/ (dist/runnel.mjs must exist)
 *
 * Steps: the machine's limits (limits.ts); the four brokers started side by side on free
 * 127.0.0.1 ports with fresh data dirs under bench/.work/suite; W1-W4 on them, each measurement
 * repeated and interleaved across brokers (the order rotates); the brokers stopped; then W6
 * (startup, fresh processes) and W5 (partitions, a fresh broker of each kind). Prints a Markdown
 * report (bench/RESULTS.md carries the latest) and writes it with a JSON file of every sample and
 * the machine's details to bench/.work/suite/results-<time>.{md,json}. Everything it starts is
 * stopped at the end, or killed if the suite dies.
 */
import { runSuite } from './suite/suite.js';

await runSuite(process.argv.slice(2));
