import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ConformanceServer, startFtpServer, startHttpServer, startSftpServer } from '@reget/testkit';
import type { ServedFile } from './serve-files.js';

/** One protocol `reget serve` offers. */
export interface ServeEndpoint {
  readonly name: 'HTTP' | 'FTP' | 'FTPS' | 'SFTP';
  readonly server: ConformanceServer;
  /** The URL of a served path with the user name but without the password, for people to copy. */
  urlOf(path: string): string;
  /** Options the reget command needs for this endpoint (`--ca`, `--host-key`). */
  readonly options: readonly string[];
}

/** The running servers and how to log in to them. */
export interface ServeServers {
  readonly endpoints: readonly ServeEndpoint[];
  /** The login for FTP, FTPS and SFTP (HTTP needs none). */
  readonly user: string;
  readonly password: string;
  close(): Promise<void>;
}

const user = 'reget';

/**
 * Starts HTTP, FTP, explicit FTPS and SFTP servers on 127.0.0.1 (ephemeral ports) holding `files`.
 * FTP, FTPS and SFTP share one login with a password made up for this run (URL-safe, so it can be
 * typed). The FTPS certificate is written to `stateDirectory/ftps-ca.pem` for `--ca`.
 */
export async function startServeServers(
  files: readonly ServedFile[],
  stateDirectory: string,
): Promise<ServeServers> {
  const password = randomBytes(9).toString('base64url');
  const started = await Promise.allSettled([
    startHttpServer(),
    startFtpServer({ user, password }),
    startFtpServer({ security: 'explicit', user, password }),
    startSftpServer({ username: user, password }),
  ]);
  const running = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const close = async () => {
    await Promise.allSettled(running.map((server) => server.close()));
  };
  const failure = started.find((outcome) => outcome.status === 'rejected');
  if (failure) {
    await close();
    throw failure.reason;
  }
  const [http, ftp, ftps, sftp] = running as [
    Awaited<ReturnType<typeof startHttpServer>>,
    Awaited<ReturnType<typeof startFtpServer>>,
    Awaited<ReturnType<typeof startFtpServer>>,
    Awaited<ReturnType<typeof startSftpServer>>,
  ];
  try {
    const caPath = join(stateDirectory, 'ftps-ca.pem');
    await writeFile(caPath, ftps.certificate?.cert ?? '');
    for (const server of running) {
      for (const file of files) await server.putFile(file.path, file.content);
    }
    return {
      endpoints: [
        endpoint('HTTP', http, []),
        endpoint('FTP', ftp, []),
        endpoint('FTPS', ftps, ['--ca', caPath]),
        endpoint('SFTP', sftp, ['--host-key', sftp.hostKey.fingerprint]),
      ],
      user,
      password,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function endpoint(
  name: ServeEndpoint['name'],
  server: ConformanceServer,
  options: readonly string[],
): ServeEndpoint {
  return {
    name,
    server,
    options,
    urlOf: (path) => {
      const url = new URL(server.url(path));
      url.password = '';
      return url.href;
    },
  };
}
