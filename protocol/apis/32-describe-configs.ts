import { defineApi } from '../schema.js';

/** Configuration of topics (resource type 2) and brokers (4). */
export default defineApi({
  key: 32,
  name: 'DescribeConfigs',
  versions: '0-4',
  flexible: '4+',
  request: {
    resources: ['[]Resource', '0+', {
      resourceType: ['int8', '0+'],
      resourceName: ['string', '0+'],
      configurationKeys: ['[]string', '0+', { nullable: '0+', about: 'Null for every key.' }],
    }],
    includeSynonyms: ['bool', '1+', { default: false }],
    includeDocumentation: ['bool', '3+', { default: false }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    results: ['[]Result', '0+', {
      errorCode: ['int16', '0+'],
      errorMessage: ['string', '0+', { nullable: '0+' }],
      resourceType: ['int8', '0+'],
      resourceName: ['string', '0+'],
      configs: ['[]Config', '0+', {
        name: ['string', '0+'],
        value: ['string', '0+', { nullable: '0+' }],
        readOnly: ['bool', '0+'],
        isDefault: ['bool', '0'],
        configSource: ['int8', '1+', { default: -1 }],
        isSensitive: ['bool', '0+'],
        synonyms: ['[]Synonym', '1+', {
          name: ['string', '1+'],
          value: ['string', '1+', { nullable: '0+' }],
          source: ['int8', '1+'],
        }],
        configType: ['int8', '3+', { default: 0 }],
        documentation: ['string', '3+', { nullable: '0+' }],
      }],
    }],
  },
});
