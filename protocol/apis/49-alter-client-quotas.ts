import { defineApi } from '../schema.js';

/** Sets or removes client quota values (producer_byte_rate ...) per entity (user / client-id / ip; a null name is the default entity). */
export default defineApi({
  key: 49,
  name: 'AlterClientQuotas',
  versions: '0-1',
  flexible: '1+',
  request: {
    entries: ['[]Entry', '0+', {
      entity: ['[]Entity', '0+', {
        entityType: ['string', '0+'],
        entityName: ['string', '0+', { nullable: '0+', about: 'Null for the default entity.' }],
      }],
      ops: ['[]Op', '0+', {
        key: ['string', '0+'],
        value: ['float64', '0+'],
        remove: ['bool', '0+'],
      }],
    }],
    validateOnly: ['bool', '0+'],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    entries: ['[]Entry', '0+', {
      errorCode: ['int16', '0+'],
      errorMessage: ['string', '0+', { nullable: '0+' }],
      entity: ['[]Entity', '0+', {
        entityType: ['string', '0+'],
        entityName: ['string', '0+', { nullable: '0+' }],
      }],
    }],
  },
});
