import { type ConformanceServer, startFtpServer, startHttpServer, startSftpServer } from '@reget/testkit';
import type { ServeIdentity } from './serve-state.js';

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

/** Where the servers listen and who they are. */
export interface ServeSettings {
  /** The login password, SSH host key and FTPS certificate (serve-state.ts). */
  readonly identity: ServeIdentity;
  /** Where the FTPS certificate is on disk, for `--ca`. */
  readonly certificatePath: string;
  /** `--port n`: HTTP on n, FTP on n+1, FTPS on n+2, SFTP on n+3; undefined: ephemeral ports. */
  readonly basePort: number | undefined;
}

/** Port offsets from `--port`, in the order of the banner's endpoints. */
export const portOffsets = { HTTP: 0, FTP: 1, FTPS: 2, SFTP: 3 } as const;

/**
 * Starts HTTP, FTP, explicit FTPS and SFTP servers on 127.0.0.1 serving `directory` from disk (each
 * request sees the files as they are then), on ephemeral ports or from `basePort` up. FTP, FTPS and
 * SFTP share one login.
 */
export async function startServeServers(directory: string, settings: ServeSettings): Promise<ServeServers> {
  const { password, hostPrivateKey, certificate } = settings.identity;
  const port = (name: keyof typeof portOffsets) =>
    settings.basePort === undefined ? undefined : settings.basePort + portOffsets[name];
  const started = await Promise.allSettled([
    startHttpServer({ port: port('HTTP'), folder: directory }),
    startFtpServer({ user, password, port: port('FTP'), folder: directory }),
    startFtpServer({
      security: 'explicit',
      user,
      password,
      certificate,
      port: port('FTPS'),
      folder: directory,
    }),
    startSftpServer({ username: user, password, hostPrivateKey, port: port('SFTP'), folder: directory }),
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
  return {
    endpoints: [
      endpoint('HTTP', http, []),
      endpoint('FTP', ftp, []),
      endpoint('FTPS', ftps, ['--ca', settings.certificatePath]),
      endpoint('SFTP', sftp, ['--host-key', sftp.hostKey.fingerprint]),
    ],
    user,
    password,
    close,
  };
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
