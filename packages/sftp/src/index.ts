export { createSftpAdapter } from './adapter.js';
export { type HostKeyAdded, HostKeyRefusal, type HostKeyRefusalReason } from './host-key.js';
export type { SftpAdapterOptions, SftpPoolOptions } from './options.js';
