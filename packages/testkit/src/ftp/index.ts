export { generateTestCertificate, type TestCertificate } from './certificate.js';
export type { FtpFaults, FtpFinalReply } from './faults.js';
export {
  type FtpServerOptions,
  type FtpServerSecurity,
  type FtpTestServer,
  startFtpServer,
} from './server.js';
export { ftpConformanceTarget } from './target.js';
