/**
 * The read-only view of the broker configuration that request handlers and subsystems read
 * (BrokerConfig implements it): values are current, so dynamic changes (AlterConfigs) show at the
 * next read. Changing configs goes through the topic manager, never through this view.
 */
import type { ConfigValue } from './definitions.js';

export interface ConfigView {
  get(key: string): ConfigValue;
  int(key: string): number;
  bool(key: string): boolean;
  string(key: string): string | null;
}
