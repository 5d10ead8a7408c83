export { createFtpAdapter, type FtpAdapterOptions } from './adapter.js';
