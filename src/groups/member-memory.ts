/**
 * One broker-wide bound on what group members make the broker keep while they stay: a classic
 * member's protocol metadata (JoinGroup), a consumer-group or share-group member's subscribed topic
 * names and regex (ConsumerGroupHeartbeat, ShareGroupHeartbeat). Each request is bounded on its
 * own (runnel.group.max.member.metadata.bytes, runnel.group.consumer.max.subscribed.topics), but
 * members multiply: 200 share-group members with 10,000 names of 249 characters each held 660 MiB,
 * and any number of groups may be made. Above `runnel.group.members.max.bytes` a join or a
 * subscription change is refused with GROUP_MAX_SIZE_REACHED; members already in keep working.
 *
 * Why an estimate that only grows, corrected by a recount, instead of exact bookkeeping: members
 * leave through many paths (LeaveGroup, session expiry, rebalance timeouts, static replacement,
 * protocol migration, group deletion, coordinator moves), and a path that forgot to give its bytes
 * back would slowly refuse every join. So each admitted request adds what it sends (a rejoin counts
 * twice for a while), and only when the estimate would pass the limit are the members actually
 * held counted again (at most once per second: a refusal flood never turns into a counting loop).
 */

/** What one kept string costs besides its characters (object header, hash, pointer): an estimate. */
import type { Group } from './group.js';

const STRING_OVERHEAD = 32;
const RECOUNT_INTERVAL_MS = 1000;

/** The bytes a member's subscribed topic names (and regex) keep. */
export function subscriptionBytes(names: readonly string[] | null, regex: string | null = null): number {
  let n = regex === null ? 0 : regex.length + STRING_OVERHEAD;
  if (names !== null) for (const s of names) n += s.length + STRING_OVERHEAD;
  return n;
}

/** What the members of these groups (classic, consumer, migrating) keep. */
export function heldByGroups(groups: Iterable<Group>): number {
  let n = 0;
  for (const g of groups) {
    for (const m of g.members.values()) n += protocolsBytes(m.protocols);
    if (g.consumer === null) continue;
    for (const m of g.consumer.members.values()) n += subscriptionBytes(m.subscribedTopicNames, m.subscribedTopicRegex) + (m.classic === null ? 0 : protocolsBytes(m.classic.protocols));
  }
  return n;
}

/** The bytes a classic member's JoinGroup protocols keep. */
export function protocolsBytes(protocols: ReadonlyArray<{ name: string; metadata: Uint8Array }>): number {
  let n = 0;
  for (const p of protocols) n += p.name.length + p.metadata.length + STRING_OVERHEAD;
  return n;
}

/** At most one warning per this long, carrying how many refusals it stands for. */
const WARN_INTERVAL_MS = 10_000;

export class MemberMemoryBudget {
  private estimate = 0;
  private countedAt = -Infinity;
  private warnedAt = -Infinity;
  private unreported = 0;

  /**
   * @param limit the bound in bytes (read on each use: the config key is dynamic)
   * @param count the bytes members hold right now, summed over every group of the broker
   * @param warn where refusals are reported (rate-limited: a refused client retries in a loop)
   */
  constructor(
    private readonly limit: () => number,
    private readonly count: () => number,
    private readonly warn: (fields: object, msg: string) => void = () => {},
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether a member may keep `bytes` more; when it may, they are counted. */
  admit(bytes: number): boolean {
    if (this.estimate + bytes <= this.limit()) {
      this.estimate += bytes;
      return true;
    }
    const t = this.now();
    if (t - this.countedAt >= RECOUNT_INTERVAL_MS) {
      this.countedAt = t;
      this.estimate = this.count();
      if (this.estimate + bytes <= this.limit()) {
        this.estimate += bytes;
        return true;
      }
    }
    this.unreported++;
    if (t - this.warnedAt >= WARN_INTERVAL_MS) {
      this.warnedAt = t;
      this.warn({ heldBytes: this.estimate, limit: this.limit(), refused: this.unreported }, 'group joins refused: members keep runnel.group.members.max.bytes');
      this.unreported = 0;
    }
    return false;
  }

  /** The refusal's message, naming the key an operator would raise. */
  refusal(bytes: number): string {
    return `Group members on this broker already keep about ${this.estimate} bytes of protocol metadata and subscriptions; ${bytes} more would pass runnel.group.members.max.bytes (${this.limit()}).`;
  }
}
