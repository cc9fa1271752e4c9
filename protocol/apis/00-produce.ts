import { defineApi } from '../schema.js';

/** Writes record batches to partitions. v3+ carries RecordBatch v2 and a transactional id; v12 is v11 from a KIP-890 (transaction.version 2) producer; v13 names topics by id. */
export default defineApi({
  key: 0,
  name: 'Produce',
  versions: '0-13',
  flexible: '9+',
  request: {
    transactionalId: ['string', '3+', { nullable: '3+', default: null, about: 'Null unless the producer is transactional.' }],
    acks: ['int16', '0+', { about: '0: no acknowledgement, 1: the leader, -1: the full ISR.' }],
    timeoutMs: ['int32', '0+', { about: 'How long to wait for the acknowledgements, in ms.' }],
    topicData: ['[]Topic', '0+', {
      name: ['string', '0-12'],
      topicId: ['uuid', '13+', { about: 'v13+ names the topic by its id (KIP-516).' }],
      partitionData: ['[]Partition', '0+', {
        index: ['int32', '0+'],
        records: ['records', '0+', { nullable: '0+' }],
      }],
    }],
  },
  response: {
    responses: ['[]Topic', '0+', {
      name: ['string', '0-12'],
      topicId: ['uuid', '13+'],
      partitionResponses: ['[]Partition', '0+', {
        index: ['int32', '0+'],
        errorCode: ['int16', '0+'],
        baseOffset: ['int64', '0+'],
        logAppendTimeMs: ['int64', '2+', { default: -1, about: 'Broker time of the append for LogAppendTime topics, else -1.' }],
        logStartOffset: ['int64', '5+', { default: -1 }],
        recordErrors: ['[]BatchIndexAndErrorMessage', '8+', {
          batchIndex: ['int32', '8+', { about: 'Index of the record in the batch that made the batch fail.' }],
          batchIndexErrorMessage: ['string', '8+', { nullable: '8+', default: null }],
        }],
        errorMessage: ['string', '8+', { nullable: '8+', default: null, about: 'Why the batch was dropped, if it was.' }],
        currentLeader: ['LeaderIdAndEpoch', '10+', {
          leaderId: ['int32', '10+', { default: -1 }],
          leaderEpoch: ['int32', '10+', { default: -1 }],
        }, { tag: 0, tagged: '10+', about: 'The leader now, for NOT_LEADER_OR_FOLLOWER and FENCED_LEADER_EPOCH.' }],
      }],
    }],
    throttleTimeMs: ['int32', '1+'],
    nodeEndpoints: ['[]NodeEndpoint', '10+', {
      nodeId: ['int32', '10+'],
      host: ['string', '10+'],
      port: ['int32', '10+'],
      rack: ['string', '10+', { nullable: '10+', default: null }],
    }, { tag: 0, tagged: '10+', about: 'Endpoints of the leaders named in currentLeader.' }],
  },
});
