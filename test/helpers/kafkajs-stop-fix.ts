/**
 * Works around a kafkajs 2.2.4 consumer bug that can freeze a whole test process.
 *
 * When the brokers leading a consumer's partitions change (a leader moved), kafkajs rebuilds its
 * fetchers: it stops the old ones, waits for the slowest to finish its fetch, then starts new
 * ones. A `consumer.stop()` inside that window stops only the old fetchers; the new ones start
 * afterwards and call `Runner.fetch()`, which, for a runner that is no longer running, answers []
 * at once without awaiting anything. The fetcher loops on it forever: a microtask loop that
 * starves every timer and socket in the process (vitest's own test timeout included). Fault tests
 * move leaders and stop consumers all the time; one such run waited 55 minutes, another was
 * ended by test/helpers/stall-watchdog.ts.
 *
 * The fix: a stopped runner's fetch throws instead. The fetcher then ends, its fetch manager
 * stops and rethrows, and the runner's retrier, seeing the runner stopped, returns and marks it
 * no longer consuming — the path kafkajs takes for any other fetch failure. A running consumer is
 * untouched. Installed for every test file (vitest.config.ts setupFiles); the reproduction is
 * test/unit/helpers/kafkajs-stop-fix.test.ts.
 */
import { createRequire } from 'node:module';

interface RunnerPrototype {
  running: boolean;
  fetch(nodeId: number): Promise<unknown[]>;
  runnelStopFix?: true;
}

export class KafkajsConsumerStopped extends Error {
  constructor() {
    super('the consumer was stopped (its fetchers end here)');
    this.name = 'KafkajsConsumerStopped';
  }
}

export function installKafkajsStopFix(): void {
  const require = createRequire(import.meta.url);
  const Runner = require('kafkajs/src/consumer/runner.js') as { prototype: RunnerPrototype };
  const proto = Runner.prototype;
  if (proto.runnelStopFix) return;
  const fetch = proto.fetch;
  proto.fetch = async function (this: RunnerPrototype, nodeId: number) {
    if (!this.running) throw new KafkajsConsumerStopped();
    return fetch.call(this, nodeId);
  };
  proto.runnelStopFix = true;
}

installKafkajsStopFix();
