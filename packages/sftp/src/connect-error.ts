import { connectionError, ErrorCode, RegetError } from '@reget/core';
import type { LoginMethod, SshCredentials } from './credentials.js';

/** ssh2 tags its errors with where they happened (`level`). */
export type Ssh2Error = Error & { level?: string; code?: string | number };

/** Where a connection attempt went, for messages: `host` on port 22, else `host:port`. */
export interface ConnectTarget {
  readonly host: string;
  readonly port: number;
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

/** `host` on port 22, else `host:port` (IPv6 in brackets). */
export function shortWhere({ host, port }: ConnectTarget): string {
  return port === 22 ? host : fullWhere({ host, port });
}

/** `host:port` (IPv6 in brackets), as core's connection failures name the endpoint. */
export function fullWhere({ host, port }: ConnectTarget): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** What went wrong while connecting: ssh2's own error (it carries `level`), or the agent's. */
export interface ConnectFailure {
  readonly error: Ssh2Error;
  /** The SSH agent's failure, when the agent was tried and could not be used. */
  readonly agentFailure: Error | undefined;
}

/**
 * Classifies a failed connection attempt (before login completed) from ssh2's error level:
 * timeouts are TIMEOUT, a refused login or an unusable agent is AUTH (never retried: a retry loop
 * could lock the account), socket failures are core's {@link connectionError}, anything else in
 * the handshake is NETWORK (not retryable when no algorithm matched).
 */
export function classifyConnectError(
  { error, agentFailure }: ConnectFailure,
  target: ConnectTarget,
  credentials: SshCredentials,
  timeoutMs: number,
): RegetError {
  const where = shortWhere(target);
  switch (error.level) {
    case 'client-timeout':
      return new RegetError(
        ErrorCode.TIMEOUT,
        `Connecting to the SSH server at ${where} timed out after ${formatSeconds(timeoutMs)}.`,
        { cause: error },
      );
    case 'agent':
    case 'client-authentication': {
      const refused = `The SSH server at ${where} refused the login of "${credentials.username}"`;
      const agentNote = agentFailure !== undefined ? '; the SSH agent could not be used' : '';
      const message =
        credentials.methods.length === 0
          ? `${refused}: no login method was available (no password, identity key or SSH agent).`
          : `${refused} (tried ${listOf(credentials.methods.map((method) => methodNames[method]))}${agentNote}).`;
      return new RegetError(ErrorCode.AUTH, message, { cause: error, retryable: false });
    }
    case 'client-socket':
    case 'client-dns':
      return (
        connectionError(error, fullWhere(target)) ??
        new RegetError(
          ErrorCode.NETWORK,
          `Cannot connect to the SSH server at ${where} (${error.code ?? error.message}).`,
          { cause: error },
        )
      );
    default:
      // A negotiation failure ("no matching cipher") will not go away by retrying.
      return new RegetError(ErrorCode.NETWORK, `The SSH handshake with ${where} failed (${error.message}).`, {
        cause: error,
        retryable: !/no matching/i.test(error.message),
      });
  }
}
