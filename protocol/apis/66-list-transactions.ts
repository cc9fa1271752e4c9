import { defineApi } from '../schema.js';

/** Transactions known to this coordinator, filtered by state, producer id and (v1+) duration. */
export default defineApi({
  key: 66,
  name: 'ListTransactions',
  versions: '0-2',
  flexible: '0+',
  request: {
    stateFilters: ['[]string', '0+'],
    producerIdFilters: ['[]int64', '0+'],
    durationFilter: ['int64', '1+', { default: -1, about: 'Only transactions running longer than this many ms; < 0 for all.' }],
    transactionalIdPattern: ['string', '2+', { nullable: '2+', default: null, about: 'Only transactional ids this regular expression matches (KIP-1152).' }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    errorCode: ['int16', '0+'],
    unknownStateFilters: ['[]string', '0+'],
    transactionStates: ['[]TransactionState', '0+', {
      transactionalId: ['string', '0+'],
      producerId: ['int64', '0+'],
      transactionState: ['string', '0+'],
    }],
  },
});
