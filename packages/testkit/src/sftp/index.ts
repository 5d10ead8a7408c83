export { type SshAgent, startSshAgent } from './agent.js';
export type { SftpFaults } from './faults.js';
export { createHostKey, type SftpHostKey, type SftpHostKeyType } from './host-key.js';
export {
  type SftpLoginAttempt,
  type SftpServer,
  type SftpServerAccess,
  type SftpServerOptions,
  startSftpServer,
} from './server.js';
export { sftpConformanceTarget } from './target.js';
