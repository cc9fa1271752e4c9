/**
 * GROUP config resources (resource type 32) in DescribeConfigs, AlterConfigs and
 * IncrementalAlterConfigs, answered as Kafka 4.4 does: every GroupConfig key described with its
 * override (DYNAMIC_GROUP_CONFIG) or its default (DEFAULT_CONFIG, the broker key as synonym);
 * changes validated against Kafka's types and the broker's group.*.min/max bounds with Kafka's
 * messages, all of one resource before any is applied, then stored durably (metadata file; in a
 * cluster etcd, by compare-and-swap).
 * A group need not exist to be configured, as in Kafka.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { ConfigSource } from '../config/broker-config.js';
import { GROUP_CONFIGS, GROUP_CONFIG_BY_NAME, groupConfigDefault, groupConfigProblem, type GroupConfigType } from '../config/group-configs.js';
import type { ConfigView } from '../config/view.js';
import type { TopicConfigs } from '../metadata/port.js';
import type { ConfigChange, DescribeResult, DescribedConfig } from './configs.js';

/** Kafka's ConfigSource.DYNAMIC_GROUP_CONFIG. */
export const DYNAMIC_GROUP_CONFIG = 8;

const TYPE_CODE: Record<GroupConfigType, number> = { boolean: 1, string: 2, int: 3, list: 7 };
const Op = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface GroupConfigDeps {
  readonly config: ConfigView;
  readonly topics: Pick<TopicConfigs, 'groupConfigs' | 'updateGroupConfigs' | 'groupConfigCount'>;
}

export function describeGroupConfigs(deps: GroupConfigDeps, group: string, keys: readonly string[] | null): DescribeResult {
  if (group === '') return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Group name must not be empty', configs: [] };
  const wanted = keys === null || keys.length === 0 ? null : new Set(keys);
  const overrides = deps.topics.groupConfigs(group);
  const configs: DescribedConfig[] = [];
  for (const def of GROUP_CONFIGS) {
    if (wanted && !wanted.has(def.name)) continue;
    const synonym = def.synonym ?? (def.broker !== null && !def.broker.startsWith('runnel.') ? def.broker : def.name);
    const dflt = { name: synonym, value: groupConfigDefault(def, deps.config), source: ConfigSource.DEFAULT_CONFIG };
    const set = overrides?.get(def.name);
    const synonyms = set === undefined ? [dflt] : [{ name: def.name, value: set, source: DYNAMIC_GROUP_CONFIG }, dflt];
    configs.push({
      name: def.name,
      value: set ?? dflt.value,
      readOnly: false,
      source: set === undefined ? ConfigSource.DEFAULT_CONFIG : DYNAMIC_GROUP_CONFIG,
      isDefault: set === undefined,
      isSensitive: false,
      synonyms,
      configType: TYPE_CODE[def.type],
      documentation: def.doc,
    });
  }
  // Kafka answers an empty error message here (not null).
  return { errorCode: ErrorCode.NONE, errorMessage: '', configs };
}

/** The group's overrides after `changes` (Kafka's incremental semantics), or a KafkaError. */
function nextOverrides(current: ReadonlyMap<string, string>, changes: readonly ConfigChange[], incremental: boolean): Map<string, string> {
  if (!incremental) {
    // AlterConfigs replaces every override; a null value means "unset".
    const next = new Map<string, string>();
    for (const c of changes) {
      if (!GROUP_CONFIG_BY_NAME.has(c.name)) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown group config name: ${c.name}`);
      if (c.value !== null) next.set(c.name, c.value);
    }
    return next;
  }
  const next = new Map(current);
  for (const c of changes) {
    const def = GROUP_CONFIG_BY_NAME.get(c.name);
    switch (c.op) {
      case Op.SET:
        if (c.value === null) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${c.name}`);
        if (!def) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown group config name: ${c.name}`);
        next.set(c.name, c.value);
        break;
      case Op.DELETE:
        // Kafka accepts deleting a key it does not know.
        next.delete(c.name);
        break;
      case Op.APPEND:
      case Op.SUBTRACT: {
        if (!def) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown group config name: ${c.name}`);
        if (def.type !== 'list') throw new KafkaError(ErrorCode.INVALID_CONFIG, `Can't ${c.op === Op.APPEND ? 'APPEND' : 'SUBTRACT'} to key ${c.name} because its type is not LIST.`);
        const base = (next.get(c.name) ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
        const items = new Set((c.value ?? '').split(',').map((x) => x.trim()).filter((x) => x !== ''));
        const result = c.op === Op.APPEND ? [...base, ...[...items].filter((i) => !base.includes(i))] : base.filter((b) => !items.has(b));
        next.set(c.name, result.join(','));
        break;
      }
      default:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown alter config operation ${c.op} for ${c.name}`);
    }
  }
  return next;
}

export async function alterGroupConfigs(deps: GroupConfigDeps, group: string, changes: readonly ConfigChange[], incremental: boolean, validateOnly: boolean): Promise<void> {
  if (group === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Default group resources are not allowed.');
  const seen = new Set<string>();
  for (const c of changes) {
    if (seen.has(c.name)) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys');
    seen.add(c.name);
  }
  // Computed from the group's configs as they are when the change is applied (not as read now):
  // an alter of the same group on this or another broker in between is built upon, never lost.
  await deps.topics.updateGroupConfigs(group, (current) => {
    const next = nextOverrides(current ?? new Map(), changes, incremental);
    for (const [name, value] of next) {
      const def = GROUP_CONFIG_BY_NAME.get(name);
      // A key a later version dropped stays stored but is not validated.
      const problem = def ? groupConfigProblem(def, value, deps.config) : null;
      if (problem !== null) throw new KafkaError(ErrorCode.INVALID_CONFIG, problem);
    }
    // Bounded: every configured group is held in memory (and in etcd or the metadata file).
    const max = deps.config.int('runnel.group.configs.max.groups');
    if (current === undefined && next.size > 0 && deps.topics.groupConfigCount() >= max) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Configs are set for ${max} groups already (runnel.group.configs.max.groups).`);
    }
    return validateOnly ? null : next;
  });
}
