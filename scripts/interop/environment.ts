import { join } from 'node:path';

/** The servers run.sh started (servers.sh writes these REGET_INTEROP_* variables). */
export interface InteropEnvironment {
  /** The folder every server serves, read-write for the tests (they run as root on this machine). */
  readonly www: string;
  /** Work folder of this interop run: logs, keys, room for mounts. */
  readonly directory: string;
  readonly httpUrl: string;
  readonly httpsUrl: string;
  readonly httpUser: string;
  readonly httpPassword: string;
  readonly ftpUrl: string;
  readonly ftpesUrl: string;
  readonly ftpsUrl: string;
  /** `sftp://user@127.0.0.1:port`; append an absolute path. */
  readonly sftpUrl: string;
  /** The self-signed certificate vsftpd and nginx present (its own CA). */
  readonly ca: string;
  /** A certificate that did not sign the servers' certificate. */
  readonly otherCa: string;
  /** The client key sshd authorizes. */
  readonly sshKey: string;
  /** A client key sshd does not know. */
  readonly sshOtherKey: string;
  /** `SHA256:…` of sshd's host key. */
  readonly sshHostKey: string;
  /** `SHA256:…` of a host key sshd does not use. */
  readonly sshOtherHostKey: string;
  /** A known_hosts file listing sshd's host key for [127.0.0.1]:port. */
  readonly knownHosts: string;
  readonly nginxLog: string;
  readonly vsftpdLog: string;
  readonly sftpLog: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the interop tier through \`npm run test:interop\` (scripts/interop/run.sh).`,
    );
  }
  return value;
}

/** An optional setting of the interop tier (REGET_CRASH_ROUNDS…), or undefined when unset or empty. */
export function optionalSetting(name: string): string | undefined {
  return process.env[name] || undefined;
}

let cached: InteropEnvironment | undefined;

/** Reads the environment once; throws (failing the test, never skipping it) when run.sh did not start the servers. */
export function interopEnvironment(): InteropEnvironment {
  cached ??= {
    www: required('REGET_INTEROP_WWW'),
    directory: required('REGET_INTEROP_DIR'),
    httpUrl: required('REGET_INTEROP_HTTP_URL'),
    httpsUrl: required('REGET_INTEROP_HTTPS_URL'),
    httpUser: required('REGET_INTEROP_HTTP_USER'),
    httpPassword: required('REGET_INTEROP_HTTP_PASSWORD'),
    ftpUrl: required('REGET_INTEROP_FTP_URL'),
    ftpesUrl: required('REGET_INTEROP_FTPES_URL'),
    ftpsUrl: required('REGET_INTEROP_FTPS_URL'),
    sftpUrl: required('REGET_INTEROP_SFTP_URL'),
    ca: required('REGET_INTEROP_CA'),
    otherCa: required('REGET_INTEROP_OTHER_CA'),
    sshKey: required('REGET_INTEROP_SSH_KEY'),
    sshOtherKey: required('REGET_INTEROP_SSH_OTHER_KEY'),
    sshHostKey: required('REGET_INTEROP_SSH_HOST_KEY'),
    sshOtherHostKey: required('REGET_INTEROP_SSH_OTHER_HOST_KEY'),
    knownHosts: required('REGET_INTEROP_KNOWN_HOSTS'),
    nginxLog: required('REGET_INTEROP_NGINX_LOG'),
    vsftpdLog: required('REGET_INTEROP_VSFTPD_LOG'),
    sftpLog: required('REGET_INTEROP_SFTP_LOG'),
  };
  return cached;
}

/** Path of a served file on disk. */
export function servedPath(name: string): string {
  return join(interopEnvironment().www, name);
}

/** The served files servers.sh generates. */
export const ServedFile = {
  /** 32 MiB of random bytes. */
  sample: 'sample.bin',
  /** Another 32 MiB of random bytes: the "new version" of a replaced file. */
  replacement: 'replacement.bin',
  /** 256 MiB (REGET_INTEROP_LARGE_SIZE) of random bytes for the crash tier. */
  large: 'large.bin',
} as const;
