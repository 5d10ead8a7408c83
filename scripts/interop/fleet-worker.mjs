// One worker process of the fleet tests (fleet.test.ts): a @reget/bullmq worker built from the
// workspace (run.sh builds it), configured by the REGET_FLEET_WORKER variable (JSON). The secrets
// it needs (the FTP and SFTP password) come through that variable, never through Redis. It prints
// one line per event for the test to follow: `ready`, `progress <job> <bytesOnDisk> <total>`,
// `completed <job>`, `failed <job> <reason>`, `stopped`.
import { createDownloadWorker } from '@reget/bullmq';
import { createFtpAdapter } from '@reget/ftp';
import { createHttpAdapter } from '@reget/http';
import { createSftpAdapter } from '@reget/sftp';

const variable = 'REGET_FLEET_WORKER';
const config = JSON.parse(process.env[variable] ?? '{}');
const print = (line) => process.stdout.write(`${line}\n`);

const { worker, stop } = createDownloadWorker({
  connection: config.connection,
  queueName: config.queueName,
  root: config.root,
  adapters: [createHttpAdapter(), createFtpAdapter(), createSftpAdapter({ hostKey: config.sftpHostKey })],
  concurrency: config.concurrency ?? 2,
  credentials: config.credentials,
  download: { retryDelayMs: 100, ...config.download },
  progressIntervalMs: config.progressIntervalMs ?? 500,
  worker: config.worker,
  onEvent: (job, event) => {
    if (event.type === 'progress') print(`progress ${job.id} ${event.bytesOnDisk} ${event.total}`);
  },
});
worker.on('completed', (job) => print(`completed ${job.id}`));
worker.on('failed', (job, error) => print(`failed ${job?.id} ${error.message}`));
worker.on('error', (error) => print(`error ${error.message}`));
let isStopping = false;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    if (isStopping) return;
    isStopping = true;
    stop().then(
      () => {
        print('stopped');
        process.exit(0);
      },
      (error) => {
        print(`error ${error.message}`);
        process.exit(1);
      },
    );
  });
}
await worker.waitUntilReady();
print('ready');
