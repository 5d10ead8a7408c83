import type { Command } from 'commander';
import { valueParser } from './args.js';
import { parseInteger, parseRate } from './option-values.js';

/** Options shared by `reget enqueue`, `worker` and `status`, as commander hands them over. */
export interface FleetFlags {
  /** `--redis <url>`, else REGET_REDIS_URL. */
  readonly redis?: string;
  /** `--queue <name>`. */
  readonly queue: string;
}

/** `reget enqueue` options. */
export interface EnqueueFlags extends FleetFlags {
  readonly inputFile?: string;
  /** `--prefix <dir>`: destinations under this directory of the workers' root. */
  readonly prefix?: string;
  readonly checksum?: string;
}

/** `reget worker` options. */
export interface WorkerFlags extends FleetFlags {
  readonly dir: string;
  readonly jobs: number;
  readonly connections: number;
  readonly credentials?: string;
  readonly identity?: string;
  readonly knownHosts?: string;
  readonly hostKey?: string;
  readonly ca?: string;
  readonly lockHost?: string;
  readonly limitRate?: number;
}

/** `reget status` options. */
export interface StatusFlags extends FleetFlags {
  readonly json?: boolean;
}

/** `reget dashboard` options. */
export interface DashboardFlags extends FleetFlags {
  readonly port?: number;
}

/** What `reget worker --help` adds after its options. */
export const workerHelpAfterOptions = `
Every worker runs the jobs of one BullMQ queue on Redis into the same root directory (-d), local
or shared by several machines (NFS: give each machine its own --lock-host). A worker killed, even
with kill -9, loses nothing: after about a minute its jobs go to another worker, which resumes
from the partial files in the root. Ctrl-C stops at once: running jobs go back to the queue and
their partial files stay.

Secrets never go into Redis. Logins live in a JSON file given with --credentials, keyed by
"scheme://host[:port]" or by host name: {"sftp://archive.example.org": {"username": "backup",
"password": "…"}}. REGET_PASSWORD is used for SFTP hosts the file does not list.
`;

/** Declares `--redis` and `--queue` on a fleet command. */
function addFleetOptions(command: Command): Command {
  return command
    .option(
      '--redis <url>',
      'the Redis server, redis://[user:password@]host:port[/db] (default: REGET_REDIS_URL)',
    )
    .option('--queue <name>', 'the BullMQ queue', 'reget');
}

export function addEnqueueOptions(command: Command): Command {
  return addFleetOptions(command)
    .option('-i, --input-file <file>', 'read URLs from <file>, one a line (- for stdin)')
    .option('--prefix <dir>', "put the files under <dir> of the workers' root directory")
    .option('--checksum <algorithm:hex>', 'the checksum of the file (with a single URL)');
}

export function addWorkerOptions(command: Command): Command {
  return addFleetOptions(command)
    .requiredOption('-d, --dir <root>', 'the root directory every worker downloads into')
    .option('-j, --jobs <n>', 'jobs this worker runs at once', valueParser(count(256)), 2)
    .option('-c, --connections <n>', 'connections per file', valueParser(count(16)), 1)
    .option('--credentials <file>', 'logins per host (JSON); never stored in Redis')
    .option('--identity <file>', 'SSH private key for SFTP')
    .option('--known-hosts <file>', 'known_hosts file for SFTP (default ~/.ssh/known_hosts)')
    .option('--host-key <SHA256:…>', 'pin the SFTP host key fingerprint')
    .option('--ca <file>', 'extra trusted CA certificates (PEM) for HTTPS and FTPS')
    .option('--lock-host <name>', "this machine's name in file locks (default: the host name)")
    .option(
      '--limit-rate <rate>',
      'cap each download, e.g. 500K or 2M (bytes per second)',
      valueParser(parseRate),
    )
    .addHelpText('after', workerHelpAfterOptions);
}

export function addStatusOptions(command: Command): Command {
  return addFleetOptions(command).option('--json', 'print the counts and the active jobs as one JSON object');
}

export function addDashboardOptions(command: Command): Command {
  return addFleetOptions(command).option(
    '--port <n>',
    'listen on 127.0.0.1:<n> (default: any free port)',
    valueParser((text) => parseInteger(text, 1, 65_535)),
  );
}

function count(maximum: number): (text: string) => number {
  return (text) => parseInteger(text, 1, maximum);
}
