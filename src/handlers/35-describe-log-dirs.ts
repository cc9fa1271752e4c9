/**
 * DescribeLogDirs (key 35), versions 0-4.
 *
 * One log dir — the data directory, as an absolute path — holding every partition, each with its
 * size in bytes (the sum of its segment files), offsetLag 0 and isFutureKey false (Runnel never
 * moves replicas between dirs). A null topic list means every partition, internal topics
 * included; otherwise only the requested partitions that exist, each once (unknown topics and
 * partitions are left out, as Kafka does). Used by kafka-log-dirs --describe,
 * AdminClient.describeLogDirs() and describeReplicaLogDirs() (kafka-reassign-partitions).
 *
 * Version notes: v1 is v0 (throttle semantics), v2 flexible, v3 adds the top-level error code,
 * v4 totalBytes / usableBytes of the volume (statfs of the data dir: blocks and blocks available
 * to unprivileged users, times the block size, as Java's FileStore reports them; -1 if statfs
 * fails). Kafka 4.x serves 1-5 (v5 adds nothing we could fill in differently); we keep v0.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): DESCRIBE on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED, no log dirs).
 */
import { statfs } from 'node:fs/promises';
import {
  newDescribeLogDirsResponse,
  newDescribeLogDirsResponsePartition,
  newDescribeLogDirsResponseResult,
  newDescribeLogDirsResponseTopic,
  type DescribeLogDirsRequest,
  type DescribeLogDirsResponse,
  type DescribeLogDirsResponseTopic,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler, type RequestContext } from './types.js';
import { AclOperation, canCluster } from './authz.js';

/** Requested partitions per topic (deduplicated, request order), or null for all of them. */
function wanted(ctx: RequestContext, req: DescribeLogDirsRequest): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (req.topics === null) {
    for (const t of ctx.topics.all()) out.set(t.name, Array.from({ length: t.partitions }, (_, i) => i));
    return out;
  }
  const seen = new Map<string, Set<number>>();
  for (const t of req.topics) {
    let parts = seen.get(t.topic);
    if (!parts) seen.set(t.topic, (parts = new Set()));
    for (const p of t.partitions) parts.add(p);
  }
  for (const [topic, parts] of seen) out.set(topic, [...parts]);
  return out;
}

async function volume(dir: string): Promise<{ total: number; usable: number }> {
  try {
    const s = await statfs(dir);
    return { total: s.blocks * s.bsize, usable: s.bavail * s.bsize };
  } catch {
    return { total: -1, usable: -1 };
  }
}

export default defineHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>({
  key: 35,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    // Authorization: DESCRIBE on the cluster (Kafka's): else no log dirs, and v3+ says why.
    if (!canCluster(ctx, AclOperation.DESCRIBE)) return newDescribeLogDirsResponse({ throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] });
    const topics: DescribeLogDirsResponseTopic[] = [];
    for (const [name, partitions] of wanted(ctx, req)) {
      const found = [];
      for (const p of partitions) {
        const log = ctx.partitions.get(name, p);
        if (!log) continue;
        found.push(newDescribeLogDirsResponsePartition({ partitionIndex: p, partitionSize: log.size, offsetLag: 0, isFutureKey: false }));
      }
      if (found.length > 0) topics.push(newDescribeLogDirsResponseTopic({ name, partitions: found }));
    }
    const { total, usable } = ctx.version >= 4 ? await volume(ctx.partitions.logDir) : { total: -1, usable: -1 };
    return newDescribeLogDirsResponse({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      results: [newDescribeLogDirsResponseResult({ errorCode: ErrorCode.NONE, logDir: ctx.partitions.logDir, topics, totalBytes: total, usableBytes: usable })],
    });
  },
  errorResponse(_ctx, _req, code) {
    return newDescribeLogDirsResponse({ throttleTimeMs: 0, errorCode: code, results: [] });
  },
});
