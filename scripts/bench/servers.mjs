import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const serversScript = fileURLToPath(new URL('../interop/servers.sh', import.meta.url));

/**
 * Starts nginx, vsftpd and sshd with the interop tier's own script (scripts/interop/servers.sh)
 * in `directory`, on ports from `portBase` (see servers.sh), with nginx's /throttled/ location
 * capped at `limitBytesPerSecond` per request, and returns the REGET_INTEROP_* settings it wrote.
 */
export function startServers(directory, portBase, limitBytesPerSecond) {
  const result = spawnSync('bash', [serversScript, 'up', directory], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      REGET_INTEROP_PORT_BASE: portBase,
      // The benchmark makes its own files; sftp-server logging every READ would cost throughput.
      REGET_INTEROP_LARGE_SIZE: '0',
      REGET_INTEROP_SFTP_LOG_LEVEL: 'INFO',
      // In bytes: nginx reads a bare number as bytes, so no K/M suffix can be misread.
      REGET_INTEROP_LIMIT_RATE: String(limitBytesPerSecond),
    },
  });
  if (result.status !== 0) throw new Error(`servers.sh up failed (exit ${result.status}).`);
  const settings = {};
  for (const line of readFileSync(`${directory}/env`, 'utf8').split('\n')) {
    const separator = line.indexOf('=');
    if (separator > 0) settings[line.slice(0, separator)] = line.slice(separator + 1);
  }
  return settings;
}

/** Stops the servers started in `directory`, by their pids. */
export function stopServers(directory) {
  spawnSync('bash', [serversScript, 'down', directory], { stdio: ['ignore', 'inherit', 'inherit'] });
}
