import { defineApi } from '../schema.js';

/** Which versions of which APIs the broker serves. The response header is always v0. */
export default defineApi({
  key: 18,
  name: 'ApiVersions',
  versions: '0-4',
  flexible: '3+',
  request: {
    clientSoftwareName: ['string', '3+', { about: 'Name of the client library.' }],
    clientSoftwareVersion: ['string', '3+', { about: 'Version of the client library.' }],
  },
  response: {
    errorCode: ['int16', '0+'],
    apiKeys: ['[]ApiVersion', '0+', {
      apiKey: ['int16', '0+'],
      minVersion: ['int16', '0+'],
      maxVersion: ['int16', '0+'],
    }],
    throttleTimeMs: ['int32', '1+'],
    supportedFeatures: ['[]SupportedFeatureKey', '3+', {
      name: ['string', '3+'],
      minVersion: ['int16', '3+'],
      maxVersion: ['int16', '3+'],
    }, { tag: 0, tagged: '3+' }],
    finalizedFeaturesEpoch: ['int64', '3+', { tag: 1, tagged: '3+', default: -1 }],
    finalizedFeatures: ['[]FinalizedFeatureKey', '3+', {
      name: ['string', '3+'],
      maxVersionLevel: ['int16', '3+'],
      minVersionLevel: ['int16', '3+'],
    }, { tag: 2, tagged: '3+' }],
    zkMigrationReady: ['bool', '3+', { tag: 3, tagged: '3+', default: false }],
  },
});
