export { createFtpAdapter, type FtpAdapterOptions, type FtpPoolOptions } from './adapter.js';
