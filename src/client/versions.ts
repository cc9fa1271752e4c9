/**
 * The highest version of each API whose request and response shapes this client's code fills in
 * and reads. The codecs know more versions than that in places where later versions change what a
 * field means; a connection speaks min(this, the codec's max, the broker's max).
 */
export const CLIENT_MAX_VERSIONS: Readonly<Record<number, number>> = {
  0: 11, // Produce: v12+ is for the transactions v2 protocol, v13 addresses topics by id
  1: 12, // Fetch: v13+ addresses topics by id
  8: 9, // OffsetCommit: v10 addresses topics by id
  9: 7, // OffsetFetch: v8+ batches several groups in one request
  10: 4, // FindCoordinator: v4 batches keys (handled)
  15: 5, // DescribeGroups: v6 answers GROUP_ID_NOT_FOUND for unknown and consumer-protocol groups, where v5 answers Dead
};
