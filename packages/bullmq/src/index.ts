export type { CredentialsOption, HostCredentials } from './credentials.js';
export { destinationSegments, prepareDestination } from './destination.js';
export { jobFailure } from './failure.js';
export { type DownloadJobData, type DownloadJobProgress, type DownloadJobResult, jobIdFor } from './job.js';
export {
  checkRequest,
  type DownloadRequest,
  defaultDownloadJobOptions,
  enqueueDownloads,
} from './producer.js';
export { refuseSecrets } from './secrets.js';
export {
  createDownloadWorker,
  type DownloadWorker,
  type DownloadWorkerOptions,
  defaultDownloadWorkerOptions,
} from './worker.js';
