import { defineApi } from '../schema.js';

/** SCRAM mechanisms and iteration counts per user (never the credentials themselves). */
export default defineApi({
  key: 50,
  name: 'DescribeUserScramCredentials',
  versions: '0',
  flexible: '0+',
  request: {
    users: ['[]User', '0+', {
      name: ['string', '0+'],
    }, { nullable: '0+', about: 'Null for every user.' }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    errorCode: ['int16', '0+'],
    errorMessage: ['string', '0+', { nullable: '0+' }],
    results: ['[]Result', '0+', {
      user: ['string', '0+'],
      errorCode: ['int16', '0+'],
      errorMessage: ['string', '0+', { nullable: '0+' }],
      credentialInfos: ['[]CredentialInfo', '0+', {
        mechanism: ['int8', '0+'],
        iterations: ['int32', '0+'],
      }],
    }],
  },
});
