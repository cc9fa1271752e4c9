/**
 * The requests and results of the classic group protocol's membership calls (JoinGroup,
 * SyncGroup, Heartbeat, LeaveGroup) as the coordinator sees them: already decoded from any wire
 * version, with the fields a version lacks filled in by the handler. Kept apart from the
 * coordinator so the modules of each phase (join.ts, sync.ts, liveness.ts, leave.ts) share one
 * vocabulary without importing the coordinator itself.
 */
import type { Protocol } from './member.js';

export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  /** JoinGroup v4+: a dynamic member's first join gets MEMBER_ID_REQUIRED with its new id. */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a static leader rejoining a stable group is told to skip the assignment. */
  supportsSkipAssignment: boolean;
  reason: string | null;
}

export interface SyncRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** v5+; null: not checked. */
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveResult {
  errorCode: number;
  members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }>;
}
