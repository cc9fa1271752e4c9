import { defineApi } from '../schema.js';

/** Adds or removes SCRAM credentials (the client salts the password; the broker never sees it). */
export default defineApi({
  key: 51,
  name: 'AlterUserScramCredentials',
  versions: '0',
  flexible: '0+',
  request: {
    deletions: ['[]ScramCredentialDeletion', '0+', {
      name: ['string', '0+'],
      mechanism: ['int8', '0+'],
    }],
    upsertions: ['[]ScramCredentialUpsertion', '0+', {
      name: ['string', '0+'],
      mechanism: ['int8', '0+'],
      iterations: ['int32', '0+'],
      salt: ['bytes', '0+'],
      saltedPassword: ['bytes', '0+'],
    }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    results: ['[]AlterUserScramCredentialsResult', '0+', {
      user: ['string', '0+'],
      errorCode: ['int16', '0+'],
      errorMessage: ['string', '0+', { nullable: '0+' }],
    }],
  },
});
