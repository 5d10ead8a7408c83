export { createHttpAdapter, type HttpAdapter } from './adapter.js';
export { defaultUserAgent, type HttpAdapterOptions } from './options.js';
