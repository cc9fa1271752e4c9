import { defineApi } from '../schema.js';

/** Picks a SASL mechanism; v1 wraps the exchange that follows in SaslAuthenticate. */
export default defineApi({
  key: 17,
  name: 'SaslHandshake',
  versions: '0-1',
  flexible: 'none',
  request: {
    mechanism: ['string', '0+'],
  },
  response: {
    errorCode: ['int16', '0+'],
    mechanisms: ['[]string', '0+', { about: 'The mechanisms the broker enables.' }],
  },
});
