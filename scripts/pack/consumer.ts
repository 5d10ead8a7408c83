// A user's first program against the packed libraries: every package imports, its types check with
// skipLibCheck: false, and a download (from a Metalink) to a port where nothing listens fails with a
// typed error.
import { type DownloadEvent, download, isRegetError } from '@reget/core';
import { createFtpAdapter } from '@reget/ftp';
import { createHttpAdapter } from '@reget/http';
import { parseMetalink, toChecksumOption } from '@reget/metalink';
import { createSftpAdapter } from '@reget/sftp';

const metalink = parseMetalink(
  `<metalink xmlns="urn:ietf:params:xml:ns:metalink"><file name="nothing-listens-here.bin">
    <hash type="sha-256">${'0'.repeat(64)}</hash><url>http://127.0.0.1:1/nothing-listens-here.bin</url>
  </file></metalink>`,
);
const [file] = metalink.files;
const [source] = file?.urls ?? [];
const [hash] = file?.hashes ?? [];
if (!source || !hash) throw new Error('the Metalink lost its URL or hash');

const events: DownloadEvent['type'][] = [];
try {
  await download({
    url: source.url,
    checksum: toChecksumOption(hash),
    destination: 'never-written.bin',
    adapters: [createHttpAdapter(), createFtpAdapter(), createSftpAdapter()],
    retries: 0,
    onEvent: (event) => events.push(event.type),
  });
  console.log('unexpected: the download succeeded');
} catch (error) {
  console.log(isRegetError(error) ? `typed error: ${error.code}` : `untyped error: ${String(error)}`);
}
