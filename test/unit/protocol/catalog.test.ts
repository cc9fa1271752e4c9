/**
 * The APIs we declare and the versions the codecs cover (what we can decode and encode; the
 * broker may advertise narrower ranges). Changing a range here is a deliberate act: the
 * declaration, the generated code and this table move together.
 */
import { expect, it } from 'vitest';
import { API_CODECS } from '../../../protocol/generated/index.js';

// key: [name, min, max, first flexible version or -1]
const CATALOG: Record<number, [string, number, number, number]> = {
  0: ['Produce', 0, 13, 9],
  1: ['Fetch', 0, 18, 12],
  2: ['ListOffsets', 0, 11, 6],
  3: ['Metadata', 0, 13, 9],
  8: ['OffsetCommit', 0, 10, 8],
  9: ['OffsetFetch', 0, 10, 6],
  10: ['FindCoordinator', 0, 6, 3],
  11: ['JoinGroup', 0, 9, 6],
  12: ['Heartbeat', 0, 4, 4],
  13: ['LeaveGroup', 0, 5, 4],
  14: ['SyncGroup', 0, 5, 4],
  15: ['DescribeGroups', 0, 6, 5],
  16: ['ListGroups', 0, 5, 3],
  17: ['SaslHandshake', 0, 1, -1],
  18: ['ApiVersions', 0, 4, 3],
  19: ['CreateTopics', 0, 7, 5],
  20: ['DeleteTopics', 0, 6, 4],
  21: ['DeleteRecords', 0, 2, 2],
  22: ['InitProducerId', 0, 5, 2],
  23: ['OffsetForLeaderEpoch', 0, 4, 4],
  24: ['AddPartitionsToTxn', 0, 5, 3],
  25: ['AddOffsetsToTxn', 0, 4, 3],
  26: ['EndTxn', 0, 5, 3],
  27: ['WriteTxnMarkers', 0, 1, 1],
  28: ['TxnOffsetCommit', 0, 5, 3],
  29: ['DescribeAcls', 0, 3, 2],
  30: ['CreateAcls', 0, 3, 2],
  31: ['DeleteAcls', 0, 3, 2],
  32: ['DescribeConfigs', 0, 4, 4],
  33: ['AlterConfigs', 0, 2, 2],
  35: ['DescribeLogDirs', 0, 4, 2],
  36: ['SaslAuthenticate', 0, 2, 2],
  37: ['CreatePartitions', 0, 3, 2],
  42: ['DeleteGroups', 0, 2, 2],
  43: ['ElectLeaders', 0, 2, 2],
  44: ['IncrementalAlterConfigs', 0, 1, 1],
  45: ['AlterPartitionReassignments', 0, 0, 0],
  46: ['ListPartitionReassignments', 0, 0, 0],
  47: ['OffsetDelete', 0, 0, -1],
  48: ['DescribeClientQuotas', 0, 1, 1],
  49: ['AlterClientQuotas', 0, 1, 1],
  50: ['DescribeUserScramCredentials', 0, 0, 0],
  51: ['AlterUserScramCredentials', 0, 0, 0],
  57: ['UpdateFeatures', 0, 2, 0],
  60: ['DescribeCluster', 0, 2, 0],
  61: ['DescribeProducers', 0, 0, 0],
  65: ['DescribeTransactions', 0, 0, 0],
  66: ['ListTransactions', 0, 2, 0],
  68: ['ConsumerGroupHeartbeat', 0, 1, 0],
  69: ['ConsumerGroupDescribe', 0, 1, 0],
  74: ['ListConfigResources', 0, 1, 0],
  75: ['DescribeTopicPartitions', 0, 0, 0],
  76: ['ShareGroupHeartbeat', 1, 1, 1],
  77: ['ShareGroupDescribe', 1, 1, 1],
  78: ['ShareFetch', 1, 2, 1],
  79: ['ShareAcknowledge', 1, 2, 1],
  83: ['InitializeShareGroupState', 0, 0, 0],
  84: ['ReadShareGroupState', 0, 0, 0],
  85: ['WriteShareGroupState', 0, 1, 0],
  86: ['DeleteShareGroupState', 0, 0, 0],
  87: ['ReadShareGroupStateSummary', 0, 1, 0],
  90: ['DescribeShareGroupOffsets', 0, 1, 0],
  91: ['AlterShareGroupOffsets', 0, 0, 0],
  92: ['DeleteShareGroupOffsets', 0, 0, 0],
};

it('declares exactly the catalogued APIs, with these version ranges and flexible versions', () => {
  const actual: Record<number, [string, number, number, number]> = {};
  for (const [key, c] of API_CODECS) actual[key] = [c.name, c.minVersion, c.maxVersion, c.flexibleFrom];
  expect(actual).toEqual(CATALOG);
});
