/**
 * ListGroups (key 16), versions 0-5.
 *
 * Every group this broker coordinates (all of them: single node), except dead ones.
 *
 * Version notes: v1 throttle, v3 flexible, v4 state filter and group state (case-insensitive
 * state names, as Kafka), v5 type filter and group type ("classic", or "consumer" for KIP-848 consumer groups).
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): DESCRIBE on the cluster
 * lists every group, else only the groups the principal may describe.
 */
import { newListGroupsResponse, newListGroupsResponseGroup, type ListGroupsRequest, type ListGroupsResponse } from '../../protocol/generated/index.js';
import { defineHandler } from './types.js';
import { AclOperation, canCluster, canGroup } from './authz.js';

export default defineHandler<ListGroupsRequest, ListGroupsResponse>({
  key: 16,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, req) {
    const v = ctx.version;
    const types = v >= 5 ? req.typesFilter.map((t) => t.toLowerCase()) : [];
    const r = ctx.groups.listGroups(v >= 4 ? req.statesFilter : []);
    let groups = types.length > 0 ? r.groups.filter((g) => types.includes(g.type)) : r.groups;
    // Share groups (KIP-932) from v5, where a group carries its type.
    if (v >= 5 && (types.length === 0 || types.includes('share'))) {
      const states = req.statesFilter.map((s) => s.toLowerCase());
      for (const g of ctx.shareGroups.listGroups()) {
        if (states.length === 0 || states.includes(g.state.toLowerCase())) groups = [...groups, { groupId: g.groupId, protocolType: 'share', state: g.state, type: 'share' }];
      }
    }
    // Authorization (Kafka's): DESCRIBE on the cluster lists every group, else only the groups
    // the principal may describe (a listing: no error, not audited).
    if (ctx.authorizer.enabled && !canCluster(ctx, AclOperation.DESCRIBE, false)) groups = groups.filter((g) => canGroup(ctx, AclOperation.DESCRIBE, g.groupId, false));
    return newListGroupsResponse({
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      groups: groups.map((g) => newListGroupsResponseGroup({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.type })),
    });
  },
  errorResponse(_ctx, _req, code) {
    return newListGroupsResponse({ errorCode: code, groups: [] });
  },
});
