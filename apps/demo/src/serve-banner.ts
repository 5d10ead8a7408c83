import { count, formatBytes } from './human-units.js';
import type { ServedFolder } from './serve-files.js';
import type { ServeServers } from './serve-servers.js';

/** Files listed one by one; a bigger folder is summarised after them. */
const listedFiles = 20;

/** What the banner says besides the servers. */
export interface BannerContext {
  readonly directory: string;
  readonly folder: ServedFolder;
  /** The `--flaky` seed, when flaky. */
  readonly flakySeed: number | undefined;
  /** The serving process, so it can be stopped from another terminal. */
  readonly pid: number;
}

/**
 * What `reget serve` prints on stdout once the servers run: one base URL per protocol with the
 * options it needs (`--ca`, `--host-key`), the login, the files, and a command to copy. Credentials
 * are printed on purpose: they are made up for this run and only reach loopback.
 */
export function renderServeBanner(servers: ServeServers, context: BannerContext): string[] {
  const { folder } = context;
  const flaky =
    context.flakySeed === undefined
      ? ''
      : ` Flaky: connections are cut after a random number of bytes now and then (--seed ${context.flakySeed}).`;
  const lines = [
    `reget serve: ${count(folder.files.length, 'file')} (${formatBytes(folder.totalBytes)}) from ${context.directory} on 127.0.0.1.${flaky}`,
  ];
  if (folder.skipped > 0) {
    lines.push(`  (${folder.skipped} left out: dot files, links and special files are not served.)`);
  }
  lines.push('');
  const nameWidth = Math.max(...servers.endpoints.map((endpoint) => endpoint.name.length));
  const urlWidth = Math.max(...servers.endpoints.map((endpoint) => endpoint.urlOf('/').length));
  for (const endpoint of servers.endpoints) {
    const base = `  ${endpoint.name.padEnd(nameWidth)}  ${endpoint.urlOf('/')}`;
    lines.push(
      endpoint.options.length === 0
        ? base
        : `${base.padEnd(urlWidth + nameWidth + 4)}  needs ${endpoint.options.join(' ')}`,
    );
  }
  lines.push(
    `  login for FTP, FTPS and SFTP: user ${servers.user}, password ${servers.password}`,
    `  (reget reads it from REGET_PASSWORD: export REGET_PASSWORD=${servers.password})`,
    '',
  );
  if (folder.files.length > 0) {
    lines.push('Files:');
    for (const file of folder.files.slice(0, listedFiles)) {
      lines.push(`  ${servers.endpoints[0]!.urlOf(file.path)}  (${formatBytes(file.size)})`);
    }
    if (folder.files.length > listedFiles) lines.push(`  … and ${folder.files.length - listedFiles} more`);
    lines.push('', 'Try:', ...exampleCommands(servers, folder.files[0]!.path), '');
  }
  lines.push(
    'Files are read from disk at each request: a file changed on disk is served in its new version.',
    `Press Ctrl-C to stop, or run: kill ${context.pid} (started through npx, it also stops when npx ends).`,
  );
  return lines;
}

function exampleCommands(servers: ServeServers, path: string): string[] {
  return servers.endpoints.map((endpoint) => {
    const password = endpoint.name === 'HTTP' ? '' : `REGET_PASSWORD=${servers.password} `;
    const options = endpoint.options.map((option) => (option.includes(' ') ? `'${option}'` : option));
    // npx finds the command in a clone (node_modules/.bin) and in a global install alike.
    return `  ${password}npx reget ${[...options, endpoint.urlOf(path)].join(' ')}`;
  });
}
