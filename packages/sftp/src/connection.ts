import type { Socket } from 'node:net';
import { ErrorCode, type OpenContext, RegetError } from '@reget/core';
import type ssh2 from 'ssh2';
import type { ConnectConfig, SFTPWrapper } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import { untilAborted } from './abort.js';
import { classifyConnectError, type Ssh2Error, shortWhere } from './connect-error.js';
import type { SshCredentials } from './credentials.js';
import type { HostKeyCheck } from './host-key.js';
import type { PassedConnectOptions } from './options.js';
import { connectSocket } from './socket.js';
import type { SftpLocation } from './url.js';

/**
 * What ssh2-sftp-client's `Client` holds underneath, which its typings leave out: the ssh2 client
 * (`client`) and, while connected, the SFTP session it opened (`sftp`).
 */
interface SftpClientInternals {
  readonly client: ssh2.Client;
  readonly sftp: SFTPWrapper | undefined;
}

/** The ssh2 objects under an ssh2-sftp-client `Client`, or undefined when it is not one. */
export function internalsOf(client: unknown): SftpClientInternals | undefined {
  const candidate = client as Partial<SftpClientInternals> | null;
  const ssh = candidate?.client as { sftp?: unknown; on?: unknown } | undefined;
  if (typeof ssh?.sftp !== 'function' || typeof ssh.on !== 'function') return undefined;
  return candidate as SftpClientInternals;
}

// ssh2-sftp-client prints every unexpected 'error', 'end' and 'close' by default; libraries never print.
const quiet = { error: () => undefined, end: () => undefined, close: () => undefined };

/**
 * One authenticated SSH connection: ssh2-sftp-client's `Client`, connected by reget or lent by the
 * caller. More SFTP sessions (channels) are opened on it on demand, so concurrent reads share the
 * login and the host key check.
 */
export class SshConnection {
  readonly #ssh: ssh2.Client;
  /** The Client reget connected and therefore ends; undefined when the caller lent it. */
  readonly #owned: SftpClient | undefined;
  readonly #where: string;
  /** The TCP socket under a connection reget made; undefined for a lent one. */
  readonly #socket: Socket | undefined;
  #failure: RegetError | undefined;
  readonly #onError: (error: Ssh2Error) => void;
  readonly #onClose: () => void;

  constructor(ssh: ssh2.Client, where: string, owned: SftpClient | undefined, socket?: Socket) {
    this.#ssh = ssh;
    this.#where = where;
    this.#owned = owned;
    this.#socket = socket;
    // Recorded for the next operation: a lost connection fails whatever is pending.
    this.#onError = (error) => {
      this.#failure ??= new RegetError(
        ErrorCode.NETWORK,
        `The SSH connection to ${where} failed (${error.code ?? error.message}).`,
        { cause: error },
      );
    };
    this.#onClose = () => {
      this.#failure ??= new RegetError(ErrorCode.NETWORK, `The SSH connection to ${where} was closed.`);
    };
    ssh.on('error', this.#onError);
    ssh.on('close', this.#onClose);
  }

  /** Why the connection is unusable, or undefined while it is up. */
  get failure(): RegetError | undefined {
    return this.#failure;
  }

  /**
   * Whether an idle connection reget made may keep the process alive: a pooled connection waiting
   * for the next file must not, as Node's keep-alive agents do with their idle sockets.
   */
  holdsProcess(isHolding: boolean): void {
    if (isHolding) this.#socket?.ref();
    else this.#socket?.unref();
  }

  /** True when the caller lent the connection: reget must leave it open. */
  get isBorrowed(): boolean {
    return this.#owned === undefined;
  }

  /** Opens another SFTP channel (RFC 4254 §6.5 subsystem "sftp") on the connection. */
  openSftp(signal: AbortSignal): Promise<SFTPWrapper> {
    if (this.#failure) return Promise.reject(this.#failure);
    const opened = new Promise<SFTPWrapper>((resolve, reject) => {
      try {
        this.#ssh.sftp((error, sftp) => {
          if (error) return reject(this.#failure ?? sessionError(error, this.#where));
          // A fatal SFTP protocol error is also raised on the session's pending requests.
          sftp.on('error', () => undefined);
          resolve(sftp);
        });
      } catch (error) {
        reject(this.#failure ?? sessionError(error as Error, this.#where));
      }
    });
    return untilAborted(opened, signal, () =>
      opened.then(
        (sftp) => sftp.end(),
        () => undefined,
      ),
    );
  }

  /**
   * Ends a connection reget opened at once (pending requests fail); leaves a lent one open, only
   * forgetting it. Safe to call twice.
   */
  close(): void {
    this.#failure ??= new RegetError(ErrorCode.ABORTED, `The SSH connection to ${this.#where} was closed.`);
    this.#ssh.removeListener('error', this.#onError);
    this.#ssh.removeListener('close', this.#onClose);
    if (this.#owned === undefined) return;
    // end() lets ssh2-sftp-client know the close is wanted (and says goodbye to the server);
    // destroy() does not wait for the server's answer.
    this.#owned.end().catch(() => undefined);
    this.#ssh.destroy();
  }
}

/** Why an SFTP channel could not be opened on a logged-in connection. */
function sessionError(error: Error, where: string): RegetError {
  if (/subsystem/i.test(error.message)) {
    return new RegetError(ErrorCode.PROTOCOL, `The SSH server at ${where} does not offer SFTP.`, {
      cause: error,
      retryable: false,
    });
  }
  return new RegetError(ErrorCode.NETWORK, `Cannot open an SFTP channel to ${where}.`, { cause: error });
}

/** A connection and the SFTP session ssh2-sftp-client opened on it. */
export interface Connected {
  readonly connection: SshConnection;
  readonly sftp: SFTPWrapper;
}

/**
 * Uses the caller's connected ssh2-sftp-client `Client`, and the SFTP session it holds. Throws
 * BAD_INPUT when it is not connected: reget never connects or reconnects a client it was lent.
 */
export function borrow(client: SftpClient, location: SftpLocation): Connected {
  const internals = internalsOf(client);
  if (internals?.sftp === undefined) {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      'The ssh2-sftp-client Client given as the client option is not connected; call its connect() first.',
    );
  }
  // ssh2 leaves Nagle on, and pipelined READ requests then wait for delayed ACKs (see socket.ts):
  // measured 3-5x slower. Turning it off changes no byte on the wire, only how soon they leave.
  internals.client.setNoDelay(true);
  return {
    connection: new SshConnection(internals.client, shortWhere(location), undefined),
    sftp: internals.sftp,
  };
}

/**
 * Connects through ssh2-sftp-client's `Client.connect()` on reget's own socket, verifies the host
 * key (always: ssh2 accepts any key when `hostVerifier` is unset, FAULTS SFTP-01) before any
 * credential is sent, and logs in, within `context.connectTimeoutMs`. Each configured method is
 * tried once: ssh2-sftp-client connects once per call, and the first failure ends the attempt
 * (SFTP-02: retries risk an account lockout).
 */
export function connect(
  location: SftpLocation,
  credentials: SshCredentials,
  hostKeyCheck: HostKeyCheck,
  passed: PassedConnectOptions,
  context: OpenContext,
): Promise<Connected> {
  const where = shortWhere(location);
  const client = new SftpClient('reget', quiet);
  const ssh = (internalsOf(client) as SftpClientInternals).client;
  const socket = connectSocket(location.host, location.port);
  const close = () => {
    ssh.destroy();
    // ssh2 has not adopted the socket when it refused the configuration.
    socket.destroy();
  };
  // ssh2-sftp-client rewraps errors as "getConnection: …" and drops ssh2's `level`, which says
  // where the attempt failed; the first one is kept here to classify the failure.
  let failure: Ssh2Error | undefined;
  let agentFailure: Error | undefined;
  const onError = (error: Ssh2Error) => {
    if (error.level === 'agent') agentFailure ??= error;
    failure ??= error;
  };
  ssh.on('error', onError);

  const config: ConnectConfig = {
    ...passed,
    sock: socket,
    username: credentials.username,
    hostVerifier: (key: Buffer, verify: (isAccepted: boolean) => void) => hostKeyCheck.verify(key, verify),
    readyTimeout: context.connectTimeoutMs,
    authHandler: credentials.methods.length > 0 ? [...credentials.methods] : ['none'],
    ...(credentials.password !== undefined ? { password: credentials.password } : {}),
    ...(credentials.privateKey !== undefined ? { privateKey: credentials.privateKey } : {}),
    ...(credentials.passphrase !== undefined ? { passphrase: credentials.passphrase } : {}),
    ...(credentials.agent !== undefined ? { agent: credentials.agent } : {}),
    ...(hostKeyCheck.algorithms && passed.algorithms?.serverHostKey === undefined
      ? { algorithms: { ...passed.algorithms, serverHostKey: [...hostKeyCheck.algorithms] } }
      : {}),
  };
  const connected = client.connect(config).then(
    (sftp) => {
      ssh.removeListener('error', onError);
      // A fatal SFTP protocol error is also raised on the session's pending requests.
      sftp.on('error', () => undefined);
      return { connection: new SshConnection(ssh, where, client, socket), sftp };
    },
    (error: unknown) => {
      ssh.removeListener('error', onError);
      close();
      throw (
        hostKeyCheck.refusal() ??
        (failure === undefined
          ? unleveledError(error, where)
          : classifyConnectError(
              { error: failure, agentFailure },
              location,
              credentials,
              context.connectTimeoutMs,
            ))
      );
    },
  );
  return untilAborted(connected, context.signal, close);
}

/** ssh2-sftp-client's own errors: no ssh2 error event came before them. */
function unleveledError(error: unknown, where: string): RegetError {
  const { code, custom, message } = (error ?? {}) as { code?: unknown; custom?: unknown; message?: unknown };
  // Logged in, but the SFTP session could not be opened (ssh2-sftp-client formats that one).
  if (custom === true) return sessionError(error as Error, where);
  // "Unexpected end/close event": the server hung up before login completed.
  if (code === 'ERR_GENERIC_CLIENT') {
    return new RegetError(
      ErrorCode.NETWORK,
      `The SSH server at ${where} closed the connection before login.`,
      {
        cause: error,
      },
    );
  }
  // ssh2 threw inside connect(): it refused the connect options themselves.
  return new RegetError(
    ErrorCode.BAD_INPUT,
    `The SSH connect options cannot be used (${typeof message === 'string' ? message : String(error)}).`,
    { cause: error },
  );
}
