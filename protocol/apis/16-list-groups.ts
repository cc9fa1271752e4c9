import { defineApi } from '../schema.js';

/** Groups this broker coordinates, optionally filtered by state (v4+) and type (v5+). */
export default defineApi({
  key: 16,
  name: 'ListGroups',
  versions: '0-5',
  flexible: '3+',
  request: {
    statesFilter: ['[]string', '4+'],
    typesFilter: ['[]string', '5+'],
  },
  response: {
    throttleTimeMs: ['int32', '1+'],
    errorCode: ['int16', '0+'],
    groups: ['[]Group', '0+', {
      groupId: ['string', '0+'],
      protocolType: ['string', '0+'],
      groupState: ['string', '4+'],
      groupType: ['string', '5+'],
    }],
  },
});
