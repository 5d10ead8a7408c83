import { createServer, type Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import { createFtpAdapter } from '@reget/ftp';
import type { ConformanceServer } from '../conformance/target.js';
import { DiskFolder } from '../disk/folder.js';
import { generateTestCertificate, type TestCertificate } from './certificate.js';
import { type DataConnection, PassiveListener } from './data.js';
import type { FtpFaults } from './faults.js';
import { FtpFileStore } from './files.js';
import { FtpSession } from './session.js';

/** How the embedded FTP server is reached. */
export type FtpServerSecurity =
  /** Plain FTP (`ftp://`). */
  | 'none'
  /** Explicit FTPS (`ftpes://`): AUTH TLS on the control connection, required before login. */
  | 'explicit'
  /** Implicit FTPS (`ftps://`): TLS from the first byte. */
  | 'implicit';

/** Options for {@link startFtpServer}. */
export interface FtpServerOptions {
  /** Default `'none'`. */
  readonly security?: FtpServerSecurity | undefined;
  /** The only login accepted, put in every {@link FtpTestServer.url}. Default: anonymous, any password. */
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  /** Certificate for TLS. Default: a freshly generated self-signed one. */
  readonly certificate?: TestCertificate | undefined;
  /** Control port to listen on (127.0.0.1). Default 0: an ephemeral port. Passive ports are always ephemeral. */
  readonly port?: number | undefined;
  /**
   * Also serve the files under this folder, from disk: SIZE and MDTM answer from a fresh `stat`, so
   * a change on disk is seen at once, and RETR streams the file from disk from the REST offset.
   * Files put with `putFile` take precedence. Dot files, symbolic links and special files in the
   * folder are not served.
   */
  readonly folder?: string | undefined;
}

/** A running embedded FTP server: a {@link ConformanceServer} plus FTP-only controls. */
export interface FtpTestServer extends ConformanceServer {
  readonly port: number;
  /** The certificate presented over TLS (trust it with the adapter's `ca`); undefined without TLS. */
  readonly certificate: TestCertificate | undefined;
  /** Replaces the faults; `{}` clears them. */
  setFaults(faults: FtpFaults): void;
  /** Makes SIZE and RETR of an existing file answer `550 Permission denied.` */
  denyRead(path: string): void;
  /** Every command received since the last `resetCounters`, in order, with the PASS argument masked. */
  commands(): readonly string[];
  /** Resolves when the next command starting with `prefix` (e.g. `SIZE`) arrives. */
  waitForCommand(prefix: string): Promise<void>;
  /** Data connections over TLS so far, and how many of them resumed the control connection's session. */
  tlsDataConnections(): { readonly total: number; readonly resumed: number };
  /** Control connections accepted since the server started. */
  controlConnections(): number;
  /** Control connections open right now. */
  openControlConnections(): number;
  /**
   * Ends every open control connection from the server's side with `421 Timeout.`, as an idle
   * timeout does, and resolves once they are closed.
   */
  closeControlConnections(): Promise<void>;
}

const host = '127.0.0.1';

/**
 * Starts an FTP/FTPS server on 127.0.0.1 with an ephemeral port (or `port`), serving files from memory
 * (and from a folder on disk with `folder`), with
 * REST/SIZE/MDTM, passive mode and the faults of {@link FtpFaults}. Its `adapter` is an FTP adapter
 * configured to trust the server's certificate.
 */
export async function startFtpServer(options: FtpServerOptions = {}): Promise<FtpTestServer> {
  const security = options.security ?? 'none';
  const certificate =
    security === 'none' ? undefined : (options.certificate ?? (await generateTestCertificate()));
  const secureContext = certificate === undefined ? undefined : createSecureContext(certificate);
  const files = new FtpFileStore();
  const folder = options.folder === undefined ? undefined : await DiskFolder.open(options.folder);
  const sockets = new Set<Socket>();
  const sessions = new Set<FtpSession>();
  let accepted = 0;
  const received: string[] = [];
  const waiters: { prefix: string; resolve: () => void }[] = [];
  const tlsData = { total: 0, resumed: 0 };
  let faults: FtpFaults = {};
  let dropsLeft: number | undefined;
  let sent = 0;
  const starts: number[] = [];

  const track = (socket: Socket) => {
    sockets.add(socket);
    // A client that vanishes must not crash the test process.
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  };
  const credentials =
    options.user === undefined ? undefined : { user: options.user, password: options.password ?? '' };
  const sessionHost = {
    files,
    folder,
    secureContext,
    requireTls: security === 'explicit',
    credentials,
    faults: () => faults,
    takeDrop: () => {
      if (dropsLeft === undefined) return true;
      if (dropsLeft <= 0) return false;
      dropsLeft -= 1;
      return true;
    },
    countBytes: (count: number) => {
      sent += count;
    },
    noteTransfer: (offset: number) => {
      starts.push(offset);
    },
    log: (command: string) => {
      received.push(command);
      for (const waiter of waiters.filter((candidate) => command.startsWith(candidate.prefix))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
    openPassive: (isProtected: boolean) => {
      const data =
        faults.dataCertificate === undefined ? secureContext : createSecureContext(faults.dataCertificate);
      return PassiveListener.open(host, isProtected ? data : undefined, track);
    },
    noteDataConnection: (connection: DataConnection) => {
      if (connection.isSessionReused === undefined) return;
      tlsData.total += 1;
      if (connection.isSessionReused) tlsData.resumed += 1;
    },
    track,
  };

  const server = createServer((raw) => {
    track(raw);
    accepted += 1;
    let session: FtpSession;
    if (security === 'implicit' && secureContext !== undefined) {
      const secure = new TLSSocket(raw, { isServer: true, secureContext });
      track(secure);
      session = new FtpSession(secure, sessionHost);
    } else {
      session = new FtpSession(raw, sessionHost);
    }
    sessions.add(session);
    raw.once('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('FTP server is not listening.');
  const port = address.port;
  const scheme = { none: 'ftp', explicit: 'ftpes', implicit: 'ftps' }[security];
  const login =
    credentials === undefined
      ? ''
      : `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@`;

  return {
    port,
    certificate,
    adapter: createFtpAdapter({ ca: certificate?.cert }),
    url: (path) => `${scheme}://${login}${host}:${port}${encodePath(path)}`,
    unauthorizedUrl: (path) =>
      credentials === undefined
        ? undefined
        : `${scheme}://${encodeURIComponent(credentials.user)}:not-the-secret@${host}:${port}${encodePath(path)}`,
    putFile: async (path, content) => files.put(absolute(path), content),
    setFaults: (next) => {
      faults = next;
      dropsLeft = next.dropTimes;
    },
    denyRead: (path) => files.denyRead(absolute(path)),
    bytesSent: () => sent,
    transferStarts: () => [...starts],
    resetCounters: () => {
      sent = 0;
      received.length = 0;
      starts.length = 0;
    },
    commands: () => [...received],
    waitForCommand: (prefix) => new Promise((resolve) => waiters.push({ prefix, resolve })),
    tlsDataConnections: () => ({ ...tlsData }),
    controlConnections: () => accepted,
    connectionsAccepted: () => accepted,
    openControlConnections: () => sessions.size,
    closeControlConnections: async () => {
      await Promise.all([...sessions].map((session) => session.closeIdle()));
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function absolute(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}

/** Percent-encodes each segment; the URL path is relative to the login directory `/` (RFC 1738). */
function encodePath(path: string): string {
  return absolute(path)
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}
