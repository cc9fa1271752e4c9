/**
 * Dynamic broker overrides (AlterConfigs on a broker resource) are checked as a whole before any
 * is stored or applied: every key must be a broker config that may change at runtime, with a
 * valid value. Used by the topic manager when it records them (metadata/topic-manager.ts).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { BROKER_CONFIG_BY_NAME } from './definitions.js';
import { ConfigError, parseValue } from './values.js';

/** Validates a full set of dynamic broker overrides; throws KafkaError(INVALID_CONFIG) naming the key. */
export function validateBrokerOverrides(values: ReadonlyMap<string, string>): void {
  for (const [key, value] of values) {
    const def = BROKER_CONFIG_BY_NAME.get(key);
    if (!def) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown broker config: ${key}`);
    // Kafka 4.4 answers this with INVALID_REQUEST and a Java list (3.x wrote a Scala Set(...)).
    if (!def.dynamic) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Cannot update these configs dynamically: [${key}]`);
    try {
      parseValue(def, value);
    } catch (err) {
      if (err instanceof ConfigError) throw new KafkaError(ErrorCode.INVALID_CONFIG, err.message);
      throw err;
    }
  }
}
