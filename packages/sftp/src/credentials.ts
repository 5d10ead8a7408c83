import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { ErrorCode, RegetError } from '@reget/core';
import ssh2 from 'ssh2';
import type { SftpAdapterOptions } from './options.js';
import type { SftpLocation } from './url.js';

/** An SSH user authentication method (RFC 4252), as ssh2 names it. */
export type LoginMethod = 'password' | 'publickey' | 'agent';

/** How to log in, resolved from the URL and the adapter options. Holds secrets: never print it. */
export interface SshCredentials {
  readonly username: string;
  readonly password: string | undefined;
  readonly privateKey: Buffer | undefined;
  readonly passphrase: string | undefined;
  /** ssh-agent socket path. */
  readonly agent: string | undefined;
  /** The methods to try, in this order. */
  readonly methods: readonly LoginMethod[];
}

/**
 * Resolves who logs in and how: the URL's user and password win over the options; the SSH agent
 * (`agent`, else SSH_AUTH_SOCK) is used when neither a password nor a key file is given.
 * A key that cannot be read or decrypted is an AUTH failure, reported before connecting.
 */
export async function resolveCredentials(
  location: SftpLocation,
  options: SftpAdapterOptions,
): Promise<SshCredentials> {
  const username = location.username ?? options.username ?? localUserName();
  const password = location.password ?? options.password;
  let privateKey: Buffer | undefined =
    typeof options.privateKey === 'string' ? Buffer.from(options.privateKey) : options.privateKey;
  if (options.identity !== undefined) {
    try {
      privateKey = await readFile(options.identity);
    } catch (cause) {
      const reason = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new RegetError(ErrorCode.AUTH, `Cannot read the SSH key file ${options.identity} (${reason}).`, {
        cause,
        retryable: false,
      });
    }
  }
  // ssh2 would throw inside connect(); parsed here, a wrong passphrase never reaches the server.
  if (privateKey !== undefined && ssh2.utils.parseKey(privateKey, options.passphrase) instanceof Error) {
    throw new RegetError(
      ErrorCode.AUTH,
      'The SSH private key cannot be used (wrong passphrase or unsupported format).',
      {
        retryable: false,
      },
    );
  }
  const agent =
    options.agent ??
    (password === undefined && privateKey === undefined ? process.env.SSH_AUTH_SOCK : undefined);
  const methods: LoginMethod[] = [];
  if (password !== undefined) methods.push('password');
  if (privateKey !== undefined) methods.push('publickey');
  if (agent) methods.push('agent');
  return {
    username,
    password,
    privateKey,
    passphrase: options.passphrase,
    agent: agent || undefined,
    methods,
  };
}

function localUserName(): string {
  try {
    return userInfo().username;
  } catch {
    // Some containers run as a uid with no passwd entry.
    return process.env.USER ?? 'root';
  }
}
