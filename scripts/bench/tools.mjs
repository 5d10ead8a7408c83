import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const cli = fileURLToPath(new URL('../../apps/demo/bin/reget.js', import.meta.url));
const nodeHttpGet = fileURLToPath(new URL('./node-http-get.mjs', import.meta.url));
const axiosGet = fileURLToPath(new URL('./axios-get.mjs', import.meta.url));
const basicFtpGet = fileURLToPath(new URL('./basic-ftp-get.mjs', import.meta.url));

export const protocols = ['http', 'ftp', 'sftp'];

/** Whether a program is on the PATH. */
export function isInstalled(program) {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

/** The first line of a program's version output, for the record. */
export function versionOf(program, args = ['--version']) {
  const result = spawnSync(program, args, { encoding: 'utf8' });
  return (
    `${result.stdout || result.stderr || ''}`.split('\n').find((line) => line.trim() !== '') ?? 'unknown'
  );
}

/** Where a served file is, per protocol, and how to trust the server. */
export function locations(settings) {
  const path = (file) => `${settings.REGET_INTEROP_WWW}/${file}`;
  return {
    url: {
      http: (file) => `${settings.REGET_INTEROP_HTTP_URL}/${file}`,
      ftp: (file) => `${settings.REGET_INTEROP_FTP_URL}/${file}`,
      sftp: (file) => `${settings.REGET_INTEROP_SFTP_URL}${path(file)}`,
    },
    path,
    sftpFlags: [
      '--identity',
      settings.REGET_INTEROP_SSH_KEY,
      '--host-key',
      settings.REGET_INTEROP_SSH_HOST_KEY,
    ],
    sshOptions: [
      '-i',
      settings.REGET_INTEROP_SSH_KEY,
      '-o',
      `UserKnownHostsFile=${settings.REGET_INTEROP_KNOWN_HOSTS}`,
      '-o',
      'BatchMode=yes',
    ],
  };
}

/** The Node.js flags of the command's shebang (`#!/usr/bin/env -S node <flags>`). */
export const cliNodeFlags = (readFileSync(cli, 'utf8').split('\n')[0] ?? '')
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));

export { cli as regetCli };

/** reget's own command line for a file over a protocol (`extra` e.g. `--checksum`, `--json`). */
/** `aria2c` quietly writing `out` (replacing it) from `urls` (mirrors of one file), with `flags`. */
export function aria2cCommand(out, urls, flags) {
  return [
    'aria2c',
    [
      '-q',
      ...flags,
      '--allow-overwrite=true',
      '--auto-file-renaming=false',
      '-d',
      dirname(out),
      '-o',
      basename(out),
      ...urls,
    ],
  ];
}

export function regetCommand(settings, protocol, file, out, extra = []) {
  const where = locations(settings);
  const trust = protocol === 'sftp' ? where.sftpFlags : [];
  // The command as users run it (its shebang's Node flags included), not through `node <file>`.
  return [cli, [where.url[protocol](file), '-o', out, '-q', ...trust, ...extra]];
}

/**
 * The downloaders compared, per protocol: reget, the usual tools where installed, and the library
 * baseline each adapter issue names (plain Node stream, basic-ftp's downloadTo, OpenSSH's sftp).
 * `reference` is what "× ref" divides by.
 */
export function toolsFor(protocol, settings) {
  const where = locations(settings);
  const url = where.url[protocol];
  const port = settings.REGET_INTEROP_SFTP_PORT;
  const user = settings.REGET_INTEROP_SFTP_USER;
  const hostKeyBase64 = settings.REGET_INTEROP_SSH_HOST_KEY.replace(/^SHA256:/, '');
  const sftpCurlUrl = (file) => `sftp://127.0.0.1:${port}${where.path(file)}`;
  const all = [
    {
      name: 'reget',
      protocols: protocols,
      command: (file, out) => regetCommand(settings, protocol, file, out),
    },
    {
      // The documented opt-out for scratch downloads: no flush to the device, as the peers run.
      name: 'reget --no-sync',
      protocols: protocols,
      command: (file, out) => regetCommand(settings, protocol, file, out, ['--no-sync']),
    },
    {
      name: 'curl',
      program: 'curl',
      protocols: ['http', 'ftp', 'sftp'],
      command: (file, out) =>
        protocol === 'sftp'
          ? [
              'curl',
              [
                '-sS',
                '--key',
                settings.REGET_INTEROP_SSH_KEY,
                '--hostpubsha256',
                hostKeyBase64,
                '-u',
                `${user}:`,
                '-o',
                out,
                sftpCurlUrl(file),
              ],
            ]
          : ['curl', ['-sS', '-o', out, url(file)]],
    },
    {
      name: 'wget',
      program: 'wget',
      protocols: ['http', 'ftp'],
      command: (file, out) => ['wget', ['-q', '-O', out, url(file)]],
    },
    {
      name: 'aria2c',
      program: 'aria2c',
      protocols: ['http', 'ftp'],
      command: (file, out) => aria2cCommand(out, [url(file)], ['-x1', '-s1']),
    },
    {
      name: 'lftp',
      program: 'lftp',
      protocols: ['ftp', 'sftp'],
      command: (file, out) => {
        const connect =
          protocol === 'sftp' ? `set sftp:connect-program "ssh -a -x ${where.sshOptions.join(' ')}"; ` : '';
        const source =
          protocol === 'sftp' ? `sftp://${user}:@127.0.0.1:${port}${where.path(file)}` : url(file);
        return ['lftp', ['-c', `set xfer:clobber on; ${connect}get ${source} -o ${out}`]];
      },
    },
    {
      name: 'sftp (OpenSSH)',
      program: 'sftp',
      protocols: ['sftp'],
      command: (file, out) => [
        'sftp',
        ['-q', ...where.sshOptions, '-P', port, `${user}@127.0.0.1:${where.path(file)}`, out],
      ],
    },
    {
      // The same client, then the output flushed to the device as reget does before its rename
      // (DESIGN: never hand back a file a power cut could leave zero-filled): the figure that
      // shows what that durability costs on the machine at hand.
      name: 'sftp + fdatasync (OpenSSH)',
      program: 'sftp',
      protocols: ['sftp'],
      command: (file, out) => [
        'sh',
        [
          '-c',
          'out="$1"; shift; sftp "$@" > /dev/null && exec sync -d "$out"',
          'sh',
          out,
          '-q',
          ...where.sshOptions,
          '-P',
          port,
          `${user}@127.0.0.1:${where.path(file)}`,
          out,
        ],
      ],
    },
    {
      name: 'node stream',
      protocols: ['http'],
      command: (file, out) => [process.execPath, [nodeHttpGet, url(file), out]],
    },
    {
      // The library reget's HTTP adapter is built on, streaming to a file, then the output flushed
      // to the device as reget does before its rename: the HTTP figure with durability priced in.
      name: 'axios stream + sync -d',
      protocols: ['http'],
      command: (file, out) => [
        'sh',
        [
          '-c',
          'out="$1"; shift; "$@" && exec sync -d "$out"',
          'sh',
          out,
          process.execPath,
          axiosGet,
          url(file),
          out,
        ],
      ],
    },
    {
      name: 'basic-ftp downloadTo',
      protocols: ['ftp'],
      command: (file, out) => [process.execPath, [basicFtpGet, url(file), out]],
    },
  ];
  return all.filter(
    (tool) => tool.protocols.includes(protocol) && (!tool.program || isInstalled(tool.program)),
  );
}

/** What "× ref" divides by, per protocol (issue 7): curl, lftp (else curl), OpenSSH sftp. */
export function referenceFor(protocol, tools) {
  const names = tools.map((tool) => tool.name);
  const preferred = { http: ['curl'], ftp: ['lftp', 'curl'], sftp: ['sftp (OpenSSH)'] }[protocol];
  return preferred.find((name) => names.includes(name));
}

/** The library baseline each adapter issue compares reget with, and the ratio it asks for. */
export const libraryBaseline = {
  http: { tool: 'node stream', target: 0.95, issue: 3 },
  ftp: { tool: 'basic-ftp downloadTo', target: 0.95, issue: 4 },
  sftp: { tool: 'sftp (OpenSSH)', target: 1.0, issue: 5 },
};

/**
 * Baselines that also flush the output to the device, as reget does before its rename: shown
 * beside the library baseline, with the ratio asked of reget where there is one.
 */
export const durableBaseline = {
  http: { tool: 'axios stream + sync -d', target: 0.95 },
  sftp: { tool: 'sftp + fdatasync (OpenSSH)', target: 1.0 },
};

/** Commands that resume a half-downloaded file, for the resume measurement (not reget's). */
export function resumeToolsFor(protocol, settings) {
  const where = locations(settings);
  const port = settings.REGET_INTEROP_SFTP_PORT;
  const user = settings.REGET_INTEROP_SFTP_USER;
  const tools = [];
  if (protocol !== 'sftp' && isInstalled('curl')) {
    tools.push({
      name: 'curl -C -',
      command: (file, out) => [
        'curl',
        ['-sS', '-C', '-', '-w', '%{size_download}', '-o', out, where.url[protocol](file)],
      ],
      fetchedBytes: (stdout) => Number(stdout.trim()),
    });
  }
  if (protocol === 'sftp' && isInstalled('sftp')) {
    tools.push({
      name: 'sftp -a (reget)',
      command: (file, out) => [
        'sftp',
        ['-q', '-a', ...where.sshOptions, '-P', port, `${user}@127.0.0.1:${where.path(file)}`, out],
      ],
      fetchedBytes: () => null,
    });
  }
  return tools;
}
