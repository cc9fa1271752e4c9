import { defineData } from '../schema.js';

/** Key of a resolved subscription regex of a consumer group (record type 16; read and skipped: we resolve regexes on load). */
export default defineData({
  name: 'ConsumerGroupRegularExpressionKey',
  versions: '16',
  flexible: 'none',
  fields: {
    groupId: ['string', '16'],
    regularExpression: ['string', '16'],
  },
});
