/** The handler registry: every API the broker serves, one file per API key. */
import type { Handler } from './types.js';
import metadata from './03-metadata.js';
import apiVersions from './18-api-versions.js';

export const ALL_HANDLERS: ReadonlyArray<Handler<any, any>> = [metadata, apiVersions];
