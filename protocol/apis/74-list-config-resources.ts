import { defineApi } from '../schema.js';

/**
 * Lists config resources (KIP-1142). v0 was ListClientMetricsResources (KIP-714: client-metrics
 * resources only); v1 adds the types asked for (empty: every type the broker supports) and each
 * resource's type in the answer.
 */
export default defineApi({
  key: 74,
  name: 'ListConfigResources',
  versions: '0-1',
  flexible: '0+',
  request: {
    resourceTypes: ['[]int8', '1+'],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    errorCode: ['int16', '0+'],
    configResources: ['[]ConfigResource', '0+', {
      resourceName: ['string', '0+'],
      // A v0 answer carries no type: every resource there is CLIENT_METRICS (16).
      resourceType: ['int8', '1+', { default: 16 }],
    }],
  },
});
