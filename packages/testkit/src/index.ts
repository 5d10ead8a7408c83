export type {
  ConformanceCapabilities,
  ConformanceServer,
  ConformanceTarget,
  ServerFaults,
} from './conformance/target.js';
export {
  deriveSeed,
  makeContent,
  pieceHashesOf,
  seededRandom,
  sha256,
  tamperEveryPiece,
} from './content.js';
export {
  type FtpFaults,
  type FtpFinalReply,
  type FtpServerOptions,
  type FtpServerSecurity,
  type FtpTestServer,
  ftpConformanceTarget,
  generateTestCertificate,
  startFtpServer,
  type TestCertificate,
} from './ftp/index.js';
export { collectBody, failureOf, openRemote, readBytes, withRemote } from './harness.js';
export * from './http/index.js';
export {
  createMemoryServer,
  type MemoryFaults,
  type MemoryServer,
  type MemoryServerOptions,
  type MemoryValidatorMode,
} from './memory/memory-server.js';
export { memoryConformanceTarget } from './memory/target.js';
export * from './sftp/index.js';
export { startThrottledProxy, type ThrottledProxy } from './throttled-proxy.js';
