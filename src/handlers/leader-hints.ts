/**
 * KIP-951's leader hints for a response: a partition refused because this broker does not lead it
 * (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH) names the leader and leader epoch the cluster's
 * metadata has, and the response carries those leaders' endpoints (on the listener the client
 * used), so the client can go straight to the new leader instead of refreshing Metadata first.
 * Kafka's Produce does this from v10. A single node answers no such error (it leads everything),
 * and its node port has no partitionState: then there is nothing to hint.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { BrokerEndpoint } from '../cluster/node.js';
import type { RequestContext } from './types.js';

export interface LeaderHint {
  leaderId: number;
  leaderEpoch: number;
}

/** Collects hints over one response; `endpoints()` then lists the leaders they named. */
export class LeaderHints {
  private readonly leaders = new Set<number>();

  constructor(private readonly ctx: RequestContext) {}

  /** The hint for a partition answered with `errorCode`, or null (no hint: the tagged field's default). */
  forError(topic: string, partition: number, errorCode: number): LeaderHint | null {
    if (errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER && errorCode !== ErrorCode.FENCED_LEADER_EPOCH) return null;
    const view = this.ctx.node.partitionState?.(topic, partition);
    if (!view) return null;
    if (view.leader >= 0) this.leaders.add(view.leader);
    return { leaderId: view.leader, leaderEpoch: view.leaderEpoch };
  }

  /** The endpoints of the leaders hinted at that are registered (a leader that is gone has none). */
  endpoints(): BrokerEndpoint[] {
    if (this.leaders.size === 0) return [];
    return this.ctx.node.brokers(this.ctx.conn.listener).filter((b) => this.leaders.has(b.nodeId));
  }
}
