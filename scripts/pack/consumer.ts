// A user's first program against the packed libraries: every package imports, its types check with
// skipLibCheck: false, and a download to a port where nothing listens fails with a typed error.
import { type DownloadEvent, download, isRegetError } from '@reget/core';
import { createFtpAdapter } from '@reget/ftp';
import { createHttpAdapter } from '@reget/http';
import { createSftpAdapter } from '@reget/sftp';

const events: DownloadEvent['type'][] = [];
try {
  await download({
    url: 'http://127.0.0.1:1/nothing-listens-here.bin',
    destination: 'never-written.bin',
    adapters: [createHttpAdapter(), createFtpAdapter(), createSftpAdapter()],
    retries: 0,
    onEvent: (event) => events.push(event.type),
  });
  console.log('unexpected: the download succeeded');
} catch (error) {
  console.log(isRegetError(error) ? `typed error: ${error.code}` : `untyped error: ${String(error)}`);
}
