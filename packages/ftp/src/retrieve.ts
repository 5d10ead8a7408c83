import { ErrorCode, RegetError } from '@reget/core';
import { FTPError, type TransferStrategy } from 'basic-ftp';
import type { TransferBody } from './body.js';
import { classifyFtpError } from './classify.js';
import { abortedError, type FtpConnection } from './connection.js';
import type { FtpLocation } from './location.js';

/**
 * Starts `REST start` + `RETR` on `connection`, streaming into `body`, and resolves once the server
 * opened the transfer (150). Throws before any RETR when REST is refused (RANGE_NOT_SUPPORTED,
 * FAULTS FTP-04) and for every failure before the transfer starts; later failures reach the body.
 */
export async function startRetrieve(
  connection: FtpConnection,
  location: FtpLocation,
  start: number,
  body: TransferBody,
  signal: AbortSignal,
): Promise<void> {
  const { client } = connection;
  const { host } = location;
  if (signal.aborted) {
    body.fail(abortedError(signal.reason));
    throw abortedError(signal.reason);
  }
  let restRefusal: RegetError | undefined;
  const openDataConnection = client.prepareTransfer;
  // REST goes after EPSV/PASV so that it immediately precedes RETR (RFC 959 §4.1.3), as curl sends it.
  const withRestart: TransferStrategy = async (ftp) => {
    client.prepareTransfer = openDataConnection;
    const response = await openDataConnection(ftp);
    if (start > 0) {
      try {
        await ftp.request(`REST ${start}`);
      } catch (error) {
        if (error instanceof FTPError && error.code >= 500) {
          restRefusal = new RegetError(
            ErrorCode.RANGE_NOT_SUPPORTED,
            `The FTP server ${host} cannot resume at an offset (REST answered ${error.code}).`,
            { cause: error },
          );
        }
        throw error;
      }
    }
    return response;
  };
  client.prepareTransfer = withRestart;
  const onAbort = () => body.fail(abortedError(signal.reason));
  signal.addEventListener('abort', onAbort, { once: true });
  let isStarted = false;
  await new Promise<void>((resolve, reject) => {
    // basic-ftp pipes the data socket into the sink exactly when the server answers 150/125.
    body.sink.once('pipe', () => {
      isStarted = true;
      resolve();
    });
    const transfer = client
      .protectWhitespace(location.path)
      .then((path) => client.downloadTo(body.sink, path));
    transfer.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        body.complete(host);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        const failure = signal.aborted
          ? abortedError(error)
          : (restRefusal ??
            classifyFtpError(error, isStarted ? 'transfer' : 'command', host, location.displayUrl));
        body.fail(failure);
        reject(failure);
      },
    );
  });
}
