export { createHttpAdapter, type HttpAdapter } from './adapter.js';
export { parseInstanceDigest, parseReprDigest, publishedDigestsOf } from './digest-fields.js';
export { duplicatesOf, maximumDuplicates, metalinkUrlOf } from './duplicates.js';
export { parseLinkHeader, type WebLink } from './link.js';
export { defaultUserAgent, type HttpAdapterOptions } from './options.js';
export type { HttpRemoteStat } from './remote.js';
