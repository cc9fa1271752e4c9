import { defineApi } from '../schema.js';

/** Deletes empty groups and their committed offsets. */
export default defineApi({
  key: 42,
  name: 'DeleteGroups',
  versions: '0-2',
  flexible: '2+',
  request: {
    groupsNames: ['[]string', '0+'],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    results: ['[]Result', '0+', {
      groupId: ['string', '0+'],
      errorCode: ['int16', '0+'],
    }],
  },
});
