import { defineData } from '../schema.js';

/** Key of a transactional id's state in __transaction_state. */
export default defineData({
  name: 'TransactionLogKey',
  versions: '0',
  flexible: 'none',
  fields: {
    transactionalId: ['string', '0+'],
  },
});
