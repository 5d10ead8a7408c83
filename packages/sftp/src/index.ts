export { createSftpAdapter } from './adapter.js';
export type { SftpAdapterOptions } from './options.js';
