import { defineApi } from '../schema.js';

/** One round of a SASL exchange, after SaslHandshake v1. */
export default defineApi({
  key: 36,
  name: 'SaslAuthenticate',
  versions: '0-2',
  flexible: '2+',
  request: {
    authBytes: ['bytes', '0+'],
  },
  response: {
    errorCode: ['int16', '0+'],
    errorMessage: ['string', '0+', { nullable: '0+' }],
    authBytes: ['bytes', '0+'],
    sessionLifetimeMs: ['int64', '1+', { default: 0 }],
  },
});
