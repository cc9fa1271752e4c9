#!/usr/bin/env node
/**
 * `runnel [server.properties] [--override key=value]... [--key=value | --key value]...`
 *
 * Configuration layers, later wins: defaults < properties file < environment (KAFKA_*) < flags.
 * With no arguments: a single broker on 127.0.0.1:9092 with data in ./data.
 * SIGTERM / SIGINT stop it gracefully (in-flight requests finish, clean-shutdown marker written).
 */
import { Broker } from './broker.js';
import { BrokerConfig } from './config/broker-config.js';
import { parseArgs, UsageRequested } from './config/cli-args.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  let config: BrokerConfig;
  try {
    config = new BrokerConfig(await parseArgs(process.argv.slice(2)));
  } catch (err) {
    if (err instanceof UsageRequested) {
      console.log(err.message);
      process.exit(0);
    }
    console.error(`runnel: ${(err as Error).message}`);
    process.exit(2);
  }
  const log = createLogger(config.string('logger.level') ?? 'info');
  let broker: Broker;
  try {
    broker = await Broker.start(config, log);
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'broker failed to start');
    log.flush();
    console.error(`runnel: ${(err as Error).message}`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string): void => {
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
}

void main();
