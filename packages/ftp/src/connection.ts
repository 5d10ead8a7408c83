import { isIP } from 'node:net';
import { type ConnectionOptions, rootCertificates } from 'node:tls';
import { ErrorCode, RegetError } from '@reget/core';
import { Client, FTPError } from 'basic-ftp';
import { classifyFtpError, classifyReply, isPlainTextPeer } from './classify.js';
import type { FtpLocation } from './location.js';
import { passiveStrategy } from './passive.js';

const keepAliveMs = 30_000;

/** Connection settings that come from the adapter's options. */
export interface ConnectSettings {
  /** Extra trusted certificates (PEM), added to Node's bundled roots. */
  readonly ca: string | Buffer | ReadonlyArray<string | Buffer> | undefined;
  /** Skip certificate verification. */
  readonly insecure: boolean;
  /** Longest wait for a reply or for data on a running transfer, in ms. */
  readonly idleTimeoutMs: number;
  /** Used when the URL has no user. */
  readonly user: string | undefined;
  readonly password: string | undefined;
}

/** A logged-in control connection in binary mode, and what the server said it supports. */
export interface FtpConnection {
  readonly client: Client;
  /** FEAT reply, upper-case keys (`REST` → `STREAM`, `SIZE`, `MDTM`…). */
  readonly features: ReadonlyMap<string, string>;
}

/**
 * Connects, secures (implicit TLS, or AUTH TLS with no fallback to clear text), logs in and sets
 * `TYPE I` (SIZE and REST count bytes only in binary mode, RFC 3659 §4, FAULTS FTP-07). Over TLS
 * the data channel is protected too (`PBSZ 0`, `PROT P`, RFC 4217), or the connection fails.
 * Gives up with TIMEOUT after `connectTimeoutMs`, and with ABORTED when `signal` fires.
 */
export async function connectFtp(
  location: FtpLocation,
  settings: ConnectSettings,
  signal: AbortSignal,
  connectTimeoutMs: number,
): Promise<FtpConnection> {
  if (signal.aborted) throw abortedError(signal.reason);
  const client = new Client(settings.idleTimeoutMs);
  client.prepareTransfer = passiveStrategy();
  let isTimedOut = false;
  const timer = setTimeout(() => {
    isTimedOut = true;
    client.close();
  }, connectTimeoutMs);
  const onAbort = () => client.close();
  signal.addEventListener('abort', onAbort, { once: true });
  const where = `${location.host}:${location.port}`;
  const user = location.user ?? settings.user ?? 'anonymous';
  let isGreeted = false;
  try {
    const tlsOptions = tlsOptionsFor(location, settings);
    if (location.security === 'implicit') {
      await client.connectImplicitTLS(location.host, location.port, tlsOptions);
    } else {
      await client.connect(location.host, location.port);
    }
    isGreeted = true;
    // Keepalive probes hold NAT and firewall state for the control connection, which sits idle for
    // the whole of a long transfer; FTP commands are not allowed while RETR is running.
    client.ftp.socket.setKeepAlive(true, keepAliveMs);
    if (location.security === 'explicit') await upgradeToTls(client, tlsOptions, location.host);
    // Before login, so that a non-ASCII user name or password is sent as UTF-8 where supported.
    await client.sendIgnoringError('OPTS UTF8 ON');
    await client.login(user, login(location, settings));
    const features = await client.features();
    await client.send('TYPE I');
    if (location.security !== 'none') await protectDataChannel(client, location.host);
    return { client, features: upperCaseKeys(features) };
  } catch (error) {
    client.close();
    if (signal.aborted) throw abortedError(error);
    if (isTimedOut) {
      // An explicit-TLS client waits for a greeting that an implicit-TLS server never sends.
      const hint =
        location.security === 'explicit' && !isGreeted
          ? '; if it uses implicit TLS, use ftps:// instead of ftpes://'
          : '';
      throw new RegetError(
        ErrorCode.TIMEOUT,
        `Connecting to the FTP server ${where} took longer than ${seconds(connectTimeoutMs)}${hint}.`,
        { cause: error },
      );
    }
    if (location.security === 'implicit' && !isGreeted && isPlainTextPeer(error)) {
      // The server greeted in clear text where a TLS handshake was expected: it uses AUTH TLS.
      throw new RegetError(
        ErrorCode.PROTOCOL,
        `The FTP server ${where} did not start TLS on connect; if it uses explicit TLS (AUTH TLS), use ftpes:// instead of ftps://.`,
        { cause: error, retryable: false },
      );
    }
    if (error instanceof FTPError && error.code === 530) {
      // The user is named (it is not a secret, and a wrong one is a common mistake); the password never.
      throw new RegetError(ErrorCode.AUTH, `The FTP server ${where} refused the login of "${user}" (530).`, {
        cause: error,
      });
    }
    throw classifyFtpError(error, 'connect', where);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

/** The ABORTED error every cancelled operation of the adapter throws. */
export function abortedError(cause?: unknown): RegetError {
  return new RegetError(ErrorCode.ABORTED, 'The FTP transfer was aborted.', { cause });
}

function login(location: FtpLocation, settings: ConnectSettings): string {
  if (location.user !== undefined) return location.password ?? '';
  if (settings.user !== undefined) return settings.password ?? '';
  // RFC 1635: anonymous users give an e-mail-like password; curl sends "ftp@example.com".
  return 'anonymous@';
}

function tlsOptionsFor(location: FtpLocation, settings: ConnectSettings): ConnectionOptions {
  const options: ConnectionOptions = { host: location.host, rejectUnauthorized: !settings.insecure };
  // SNI carries names only; Node warns when given an IP address.
  if (isIP(location.host) === 0) options.servername = location.host;
  if (settings.ca !== undefined) {
    const extra = Array.isArray(settings.ca) ? settings.ca : [settings.ca];
    options.ca = [...rootCertificates, ...extra];
  }
  return options;
}

async function upgradeToTls(client: Client, options: ConnectionOptions, host: string): Promise<void> {
  try {
    await client.useTLS(options);
  } catch (error) {
    if (!(error instanceof FTPError)) throw error;
    // Never continue in clear text when TLS was asked for (FAULTS FTP-09).
    throw new RegetError(ErrorCode.TLS, `The FTP server ${host} refused AUTH TLS.`, { cause: error });
  }
}

async function protectDataChannel(client: Client, host: string): Promise<void> {
  for (const command of ['PBSZ 0', 'PROT P']) {
    const reply = await client.sendIgnoringError(command);
    if (reply.code >= 300) {
      throw new RegetError(ErrorCode.TLS, `The FTP server ${host} refused to encrypt data connections.`, {
        cause: classifyReply(reply.code, reply.message, 'connect', host),
      });
    }
  }
}

function upperCaseKeys(features: Map<string, string>): ReadonlyMap<string, string> {
  return new Map([...features].map(([key, value]) => [key.toUpperCase(), value.toUpperCase()]));
}

/** `30000` → `30 s`, `2500` → `2.5 s`: timeouts are given to people in seconds. */
function seconds(milliseconds: number): string {
  return `${Number((milliseconds / 1000).toFixed(3))} s`;
}
