import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Adapter } from '@reget/core';
import { createSftpAdapter } from '@reget/sftp';
import ssh2, { type AuthContext, type Connection, type ParsedKey } from 'ssh2';
import type { ConformanceServer } from '../conformance/target.js';
import { DiskFolder } from '../disk/folder.js';
import type { SftpFaults } from './faults.js';
import { SftpFileStore } from './files.js';
import { createHostKey, parseKey, type SftpHostKey, type SftpHostKeyType } from './host-key.js';
import { serveSftp } from './serve-sftp.js';

/** What a test needs to reach an embedded SFTP server. */
export interface SftpServerAccess {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** The password, unencoded. */
  readonly password: string;
  readonly hostKey: SftpHostKey;
}

/** Options for {@link startSftpServer}. */
export interface SftpServerOptions {
  /** Builds the server's {@link ConformanceServer.adapter}. Default: an SFTP adapter pinned to the host key. */
  readonly createAdapter?: ((access: SftpServerAccess) => Adapter) | undefined;
  /** Default `reget`. */
  readonly username?: string | undefined;
  /** Default: random, with characters that need %-encoding in a URL. */
  readonly password?: string | undefined;
  /** Public keys (`ssh-ed25519 AAAA…` or PEM) accepted for publickey login. */
  readonly authorizedKeys?: readonly string[] | undefined;
  /** Type of the generated host key. Default `ed25519`. */
  readonly hostKeyType?: SftpHostKeyType | undefined;
  /** Host private key to use instead of generating one (to keep an identity across servers). */
  readonly hostPrivateKey?: string | undefined;
  /** More host keys of other types (private keys), offered after the main one. */
  readonly extraHostPrivateKeys?: readonly string[] | undefined;
  /** Port to listen on (127.0.0.1). Default 0: an ephemeral port. */
  readonly port?: number | undefined;
  /**
   * Also serve the files under this folder, from disk, at the same absolute paths (`/file.bin` is
   * `<folder>/file.bin`): STAT and FSTAT answer from a fresh `stat`, so a change on disk is seen at
   * once, and READs read the handle opened at OPEN at their offsets. Files put with `putFile` take
   * precedence. Dot files, symbolic links and special files in the folder are not served.
   */
  readonly folder?: string | undefined;
}

/** One login attempt the server saw. */
export interface SftpLoginAttempt {
  readonly method: string;
  readonly username: string;
}

/** A running embedded SFTP server. */
export interface SftpServer extends ConformanceServer, SftpServerAccess {
  /** Emits `stall` when a READ is held, `drop` when a transfer is cut, `login` for each attempt. */
  readonly events: EventEmitter;
  setFaults(faults: SftpFaults): void;
  /** The URL of `path` with a wrong password. */
  unauthorizedUrl(path: string): string;
  /** Truncates a file in place (open handles see it); its mtime moves forward. */
  shrinkFile(path: string, size: number): void;
  /** Appends to a file in place (open handles see it); its mtime moves forward. */
  growFile(path: string, bytes: Uint8Array): void;
  /** OPEN of the file answers SSH_FX_PERMISSION_DENIED. */
  denyRead(path: string): void;
  /** Login attempts since the last reset, in order: none means no credential was sent. */
  loginAttempts(): readonly SftpLoginAttempt[];
  /** SSH connections accepted since the server started. */
  connectionsAccepted(): number;
  /** SFTP channels (subsystem sessions) clients opened since the last reset. */
  sftpChannelsOpened(): number;
  /** SSH connections open right now. */
  openConnections(): number;
  /**
   * Closes every open SSH connection from the server's side, as an idle timeout in sshd would, and
   * resolves once they are closed.
   */
  closeConnections(): Promise<void>;
  /**
   * DATA replies since the last reset that did not fit the client's channel window (RFC 4254
   * §5.2) and had to wait for it to be widened: what stalls a far server.
   */
  windowWaits(): number;
}

/**
 * Starts a real SFTP server on 127.0.0.1 (ssh2's server side) with a generated host key, password
 * and public-key login, an in-memory read-only file tree (login directory `/home/<user>`), optionally
 * backed by a folder on disk (`folder`), and
 * fault injection ({@link SftpFaults}). Its `adapter` pins the host key unless `createAdapter` says otherwise.
 */
export async function startSftpServer(options: SftpServerOptions = {}): Promise<SftpServer> {
  const username = options.username ?? 'reget';
  const password = options.password ?? `p@ss:${randomBytes(6).toString('hex')}/%?#`;
  const authorizedKeys = (options.authorizedKeys ?? []).map((key) => parseKey(key));
  const hostKey = createHostKey(options.hostKeyType, options.hostPrivateKey);
  const home = `/home/${username}`;
  const files = new SftpFileStore();
  const folder = options.folder === undefined ? undefined : await DiskFolder.open(options.folder);
  const events = new EventEmitter();
  const connections = new Set<Connection>();
  let faults: SftpFaults = {};
  let drops = 0;
  let sent = 0;
  let accepted = 0;
  let windowWaits = 0;
  let sftpChannels = 0;
  const starts: number[] = [];
  let logins: SftpLoginAttempt[] = [];

  const server = new ssh2.Server(
    { hostKeys: [hostKey.privateKey, ...(options.extraHostPrivateKeys ?? [])] },
    (connection) => {
      connections.add(connection);
      accepted += 1;
      // ssh2 without its native binding writes one SSH packet in three pieces; with Nagle on, each
      // piece waits for the client's delayed ACK and the server, not the client under test, sets the pace.
      // (ssh2 has Connection#setNoDelay; @types/ssh2 lacks it.)
      (connection as Connection & { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
      connection.on('close', () => connections.delete(connection));
      connection.on('error', () => undefined);
      connection.on('authentication', (context) => {
        logins.push({ method: context.method, username: context.username });
        events.emit('login', context.method);
        if (context.username === username && isAccepted(context, password, authorizedKeys)) context.accept();
        else context.reject(['password', 'publickey']);
      });
      connection.on('ready', () => {
        connection.on('session', (acceptSession) => {
          const session = acceptSession();
          session.on('sftp', (acceptSftp) => {
            const sftp = acceptSftp();
            sftpChannels += 1;
            sftp.on('error', () => undefined);
            serveSftp(sftp, {
              files,
              folder,
              home,
              faults: () => faults,
              claimDrop: () => {
                if (faults.dropTimes !== undefined && drops >= faults.dropTimes) return false;
                drops += 1;
                events.emit('drop');
                return true;
              },
              countSent: (bytes) => {
                sent += bytes;
              },
              noteWindowWait: () => {
                windowWaits += 1;
              },
              noteTransfer: (offset) => {
                starts.push(offset);
              },
              onStall: () => events.emit('stall'),
              closeConnection: () => connection.end(),
            });
          });
        });
      });
    },
  );
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const access: SftpServerAccess = { host: '127.0.0.1', port, username, password, hostKey };
  const urlOf = (path: string, secret: string) =>
    `sftp://${encodeURIComponent(username)}:${encodeURIComponent(secret)}@127.0.0.1:${port}${encodePath(path)}`;

  return {
    ...access,
    adapter: (options.createAdapter ?? pinnedAdapter)(access),
    events,
    url: (path) => urlOf(path, password),
    unauthorizedUrl: (path) => urlOf(path, `wrong-${password}`),
    async putFile(path, content) {
      files.put(path, content);
    },
    shrinkFile: (path, size) => files.shrink(path, size),
    growFile: (path, bytes) => files.append(path, bytes),
    denyRead: (path) => files.denyRead(path),
    setFaults(next) {
      faults = next;
      drops = 0;
    },
    bytesSent: () => sent,
    windowWaits: () => windowWaits,
    sftpChannelsOpened: () => sftpChannels,
    transferStarts: () => [...starts],
    loginAttempts: () => logins,
    connectionsAccepted: () => accepted,
    openConnections: () => connections.size,
    async closeConnections() {
      const closed = [...connections].map((connection) => once(connection, 'close'));
      for (const connection of connections) connection.end();
      await Promise.all(closed);
    },
    resetCounters() {
      sent = 0;
      windowWaits = 0;
      sftpChannels = 0;
      starts.length = 0;
      logins = [];
    },
    async close() {
      for (const connection of connections) connection.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function pinnedAdapter(access: SftpServerAccess): Adapter {
  return createSftpAdapter({ hostKey: access.hostKey.fingerprint });
}

function isAccepted(context: AuthContext, password: string, authorizedKeys: readonly ParsedKey[]): boolean {
  if (context.method === 'password') return context.password === password;
  if (context.method !== 'publickey') return false;
  const key = authorizedKeys.find((candidate) => candidate.getPublicSSH().equals(context.key.data));
  if (key === undefined) return false;
  // Without a signature the client only asks whether the key would do (RFC 4252 §7).
  if (context.signature === undefined || context.blob === undefined) return true;
  return key.verify(context.blob, context.signature, context.hashAlgo) === true;
}

/** %-encodes each element of an absolute path, keeping `~` and the slashes. */
function encodePath(path: string): string {
  return path
    .split('/')
    .map((element) => encodeURIComponent(element))
    .join('/');
}
