import { ErrorCode, type OpenContext, RegetError } from '@reget/core';
import ssh2, { type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { untilAborted } from './abort.js';
import type { LoginMethod, SshCredentials } from './credentials.js';
import type { HostKeyCheck } from './host-key.js';
import { connectSocket } from './socket.js';
import type { SftpLocation } from './url.js';

/** ssh2 tags its errors with where they happened. */
type Ssh2Error = Error & { level?: string; code?: string | number };

/**
 * One authenticated SSH connection. SFTP sessions (channels) are opened on it on demand, so
 * concurrent reads share the login and the host key check.
 */
export class SshConnection {
  readonly #client: ssh2.Client;
  readonly #where: string;
  #failure: RegetError | undefined;

  constructor(client: ssh2.Client, where: string) {
    this.#client = client;
    this.#where = where;
    // ssh2 throws an 'error' event nobody listens to; record it for the next operation instead.
    client.on('error', (error: Ssh2Error) => {
      this.#failure ??= new RegetError(
        ErrorCode.NETWORK,
        `The SSH connection to ${where} failed (${error.code ?? error.message}).`,
        { cause: error },
      );
    });
    client.on('close', () => {
      this.#failure ??= new RegetError(ErrorCode.NETWORK, `The SSH connection to ${where} was closed.`);
    });
  }

  /** Why the connection is unusable, or undefined while it is up. */
  get failure(): RegetError | undefined {
    return this.#failure;
  }

  /** Opens an SFTP channel (RFC 4254 §6.5 subsystem "sftp"). */
  openSftp(signal: AbortSignal): Promise<SFTPWrapper> {
    if (this.#failure) return Promise.reject(this.#failure);
    const opened = new Promise<SFTPWrapper>((resolve, reject) => {
      try {
        this.#client.sftp((error, sftp) => {
          if (error) return reject(this.#failure ?? this.#sessionError(error));
          // A fatal SFTP protocol error is also raised on the session's pending requests.
          sftp.on('error', () => undefined);
          resolve(sftp);
        });
      } catch (error) {
        reject(this.#failure ?? this.#sessionError(error as Error));
      }
    });
    return untilAborted(opened, signal, () =>
      opened.then(
        (sftp) => sftp.end(),
        () => undefined,
      ),
    );
  }

  /** Closes the connection at once; pending requests fail. Safe to call twice. */
  close(): void {
    this.#failure ??= new RegetError(ErrorCode.ABORTED, `The SSH connection to ${this.#where} was closed.`);
    this.#client.destroy();
  }

  #sessionError(error: Error): RegetError {
    if (/subsystem/i.test(error.message)) {
      return new RegetError(ErrorCode.PROTOCOL, `The SSH server at ${this.#where} does not offer SFTP.`, {
        cause: error,
        retryable: false,
      });
    }
    return new RegetError(ErrorCode.NETWORK, `Cannot open an SFTP channel to ${this.#where}.`, {
      cause: error,
    });
  }
}

/**
 * Connects, verifies the host key (always: ssh2 accepts any key when `hostVerifier` is unset,
 * FAULTS SFTP-01) and logs in, within `context.connectTimeoutMs`. Each configured method is tried
 * once, with no retry loop (SFTP-02: retries risk an account lockout).
 */
export function connect(
  location: SftpLocation,
  credentials: SshCredentials,
  hostKeyCheck: HostKeyCheck,
  context: OpenContext,
): Promise<SshConnection> {
  const where = location.port === 22 ? location.host : `${location.host}:${location.port}`;
  const client = new ssh2.Client();
  const socket = connectSocket(location.host, location.port);
  const close = () => {
    client.destroy();
    // ssh2 has not adopted the socket when it throws on the private key.
    socket.destroy();
  };
  const connected = new Promise<SshConnection>((resolve, reject) => {
    let agentFailure: Error | undefined;
    const fail = (error: RegetError) => {
      client.removeAllListeners('ready');
      close();
      reject(error);
    };
    client.once('ready', () => {
      client.removeAllListeners('error');
      client.removeAllListeners('close');
      resolve(new SshConnection(client, where));
    });
    client.on('error', (error: Ssh2Error) => {
      const refusal = hostKeyCheck.refusal();
      if (refusal) return fail(refusal);
      if (error.level === 'agent') {
        // ssh2 moves on to the next method after an agent failure; remember it for the message.
        agentFailure = error;
        return;
      }
      if (error.level === 'client-authentication' && !/all configured/i.test(error.message)) return;
      fail(classifyConnectError(error, where, credentials, agentFailure, context.connectTimeoutMs));
    });
    client.on('close', () => {
      fail(
        hostKeyCheck.refusal() ??
          new RegetError(ErrorCode.NETWORK, `The SSH server at ${where} closed the connection before login.`),
      );
    });

    const config: ConnectConfig = {
      sock: socket,
      username: credentials.username,
      hostVerifier: (key: Buffer, verify: (isAccepted: boolean) => void) => hostKeyCheck.verify(key, verify),
      readyTimeout: context.connectTimeoutMs,
      authHandler: credentials.methods.length > 0 ? [...credentials.methods] : ['none'],
      ...(credentials.password !== undefined ? { password: credentials.password } : {}),
      ...(credentials.privateKey !== undefined ? { privateKey: credentials.privateKey } : {}),
      ...(credentials.passphrase !== undefined ? { passphrase: credentials.passphrase } : {}),
      ...(credentials.agent !== undefined ? { agent: credentials.agent } : {}),
      ...(hostKeyCheck.algorithms ? { algorithms: { serverHostKey: [...hostKeyCheck.algorithms] } } : {}),
    };
    try {
      client.connect(config);
    } catch (error) {
      // ssh2 parses the private key synchronously: a wrong passphrase or an unknown format lands here.
      fail(
        new RegetError(
          ErrorCode.AUTH,
          'The SSH private key cannot be used (wrong passphrase or unsupported format).',
          {
            cause: error,
            retryable: false,
          },
        ),
      );
    }
  });
  return untilAborted(connected, context.signal, close);
}

const methodNames: Record<LoginMethod, string> = {
  password: 'the password',
  publickey: 'the identity key',
  agent: 'the SSH agent',
};

/** `a`, `a and b`, `a, b and c`. */
function listOf(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** `30000` → `30 s`, `2500` → `2.5 s`: timeouts are given to people in seconds. */
export function formatSeconds(milliseconds: number): string {
  return `${Number((milliseconds / 1000).toFixed(3))} s`;
}

function classifyConnectError(
  error: Ssh2Error,
  where: string,
  credentials: SshCredentials,
  agentFailure: Error | undefined,
  timeoutMs: number,
): RegetError {
  switch (error.level) {
    case 'client-timeout':
      return new RegetError(
        ErrorCode.TIMEOUT,
        `Connecting to the SSH server at ${where} timed out after ${formatSeconds(timeoutMs)}.`,
        {
          cause: error,
        },
      );
    case 'client-authentication': {
      const refused = `The SSH server at ${where} refused the login of "${credentials.username}"`;
      const agentNote = agentFailure ? '; the SSH agent could not be used' : '';
      const message =
        credentials.methods.length === 0
          ? `${refused}: no login method was available (no password, identity key or SSH agent).`
          : `${refused} (tried ${listOf(credentials.methods.map((method) => methodNames[method]))}${agentNote}).`;
      return new RegetError(ErrorCode.AUTH, message, { cause: error, retryable: false });
    }
    case 'client-socket':
    case 'client-dns':
      return new RegetError(
        ErrorCode.NETWORK,
        `Cannot connect to the SSH server at ${where} (${error.code ?? error.message}).`,
        {
          cause: error,
        },
      );
    default:
      // A negotiation failure ("no matching cipher") will not go away by retrying.
      return new RegetError(ErrorCode.NETWORK, `The SSH handshake with ${where} failed (${error.message}).`, {
        cause: error,
        retryable: !/no matching/i.test(error.message),
      });
  }
}
