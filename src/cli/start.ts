/**
 * `runnel start [server.properties | --config FILE] [--set key=value]... [--key value]...` — run
 * a broker in this process (also what `runnel` with no command, and `npm start`, do).
 *
 * Configuration layers, later wins: defaults < properties file < environment (KAFKA_*) < flags.
 * With no arguments: a single broker on 127.0.0.1:9092, data in ./data, admin HTTP (metrics,
 * health) on 127.0.0.1:9644. SIGTERM / SIGINT stop it gracefully (in-flight requests finish,
 * clean-shutdown marker written) within runnel.shutdown.timeout.ms, inside Docker's 10 s.
 *
 * The signal handlers are installed before the broker starts: as PID 1 (a container without an
 * init) a signal with no handler is ignored, so one arriving during startup would be lost and
 * the broker would run on until killed. A signal during startup stops the broker as soon as it
 * has started; a second one exits at once.
 */
import { Broker } from '../broker.js';
import { BrokerConfig } from '../config/broker-config.js';
import { parseArgs, UsageRequested, USAGE } from '../config/cli-args.js';
import { BROKER_CONFIGS } from '../config/definitions.js';
import { createLogger } from '../logger.js';
import { installProcessGuards } from '../process-guards.js';

/** `runnel start --help`: the usage and one flag per broker config key, from the config table. */
export function startHelp(): string {
  const keys = BROKER_CONFIGS.map((d) => {
    const def = d.default === null ? '' : ` (default ${Array.isArray(d.default) ? d.default.join(',') : d.default})`;
    return `  --${d.name} ${d.type.toUpperCase()}\n      ${d.doc}${def}`;
  });
  return [
    USAGE,
    '',
    'Every broker config key is a flag (--key value or --key=value), and an environment variable',
    'KAFKA_<KEY> (dots become _, _ becomes __, - becomes ___): KAFKA_LOG_DIRS=/data, KAFKA_NUM_PARTITIONS=3.',
    '',
    'Options:',
    '  --config FILE, -c FILE   a server.properties file (or give it as the first argument)',
    '  --set key=value          a config value (same as --key=value; --override works too)',
    '',
    'Config keys:',
    ...keys,
  ].join('\n');
}

export async function runStart(argv: string[]): Promise<void> {
  let config: BrokerConfig;
  try {
    config = new BrokerConfig(await parseArgs(argv));
  } catch (err) {
    if (err instanceof UsageRequested) {
      console.log(startHelp());
      process.exit(0);
    }
    console.error(`runnel: ${(err as Error).message}`);
    process.exit(2);
  }
  const log = createLogger(config.string('logger.level') ?? 'info');
  // One client must never end the process: uncaught errors are logged at error, not fatal.
  installProcessGuards(log);
  let broker: Broker | null = null;
  let pendingSignal: string | null = null;
  let stopping = false;
  const stop = (signal: string): void => {
    if (!broker) {
      if (pendingSignal !== null) process.exit(signal === 'SIGINT' ? 130 : 143);
      pendingSignal = signal;
      log.info({ signal }, 'stopping once started (signal again to exit now)');
      return;
    }
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    broker.stop().then(
      () => {
        log.flush();
        process.exit(0);
      },
      (err) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    broker = await Broker.start(config, log, {
      // Cluster mode, the log dir failed (ENOSPC, EIO): halt at once, as Kafka does when its last
      // log dir goes offline — no controlled shutdown writing to the failed disk; the other
      // brokers see the process gone and move its leaderships.
      onLogDirFailure: () => {
        log.flush();
        process.exit(1);
      },
    });
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'broker failed to start');
    log.flush();
    console.error(`runnel: ${(err as Error).message}`);
    process.exit(1);
  }
  if (pendingSignal !== null) stop(pendingSignal);
}
