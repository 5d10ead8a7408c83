/**
 * SFTP read throughput over loopback (a benchmark, not a test; numbers are reported, not asserted).
 *
 *   npx vite-node --config vitest.config.ts packages/sftp/bench/throughput.ts -- [sizeMiB=256] [runs=3]
 *
 * The embedded server runs in a child process, so client and server do not share an event loop.
 * Compared: reget's pipelined read path (on its own connection, and through a connected
 * ssh2-sftp-client Client given as `client`), ssh2-sftp-client's default createReadStream and
 * fastGet, and OpenSSH's `sftp` client when installed. Bodies are only counted (fastGet writes a temp file).
 *
 * Environment:
 *   NODE_OPTIONS="--require ./packages/sftp/bench/no-binding.cjs"  run without ssh2's native crypto
 *   BENCH_SERVER_NODE_OPTIONS   NODE_OPTIONS for the server alone (e.g. "" to keep its binding)
 *   BENCH_METHODS               comma list of reget,lent,stream,fastget,openssh (default: all)
 *   BENCH_READ_AHEAD_MIB        reget's readAheadBytes in MiB (default 4)
 *   BENCH_OPENSSH_CIPHER        cipher for OpenSSH's client (default: its own choice, chacha20-poly1305)
 *   BENCH_SHOW_CPU              print the client's CPU use per run
 *   REGET_BENCH_CONFIG          vite config for the server child (default vitest.config.ts)
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createSftpAdapter } from '@reget/sftp';
import { startSftpServer } from '@reget/testkit';
import ssh2 from 'ssh2';
import SftpClient from 'ssh2-sftp-client';

interface Served {
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly fingerprint: string;
}

const args = process.argv.slice(2).filter((arg) => arg !== '--');
const mib = 1024 * 1024;

if (args[0] === '--serve') {
  const sizeMiB = Number(args[1]);
  const server = await startSftpServer({
    authorizedKeys: [process.env.BENCH_CLIENT_PUBLIC_KEY ?? ''].filter(Boolean),
  });
  await server.putFile('/big.bin', randomBytes(sizeMiB * mib));
  const served: Served = {
    port: server.port,
    username: server.username,
    password: server.password,
    fingerprint: server.hostKey.fingerprint,
  };
  console.log(JSON.stringify(served));
} else {
  await main(Number(args[0] ?? 256), Number(args[1] ?? 3));
}

async function main(sizeMiB: number, runs: number): Promise<void> {
  const size = sizeMiB * mib;
  const key = ssh2.utils.generateKeyPairSync('ed25519');
  const directory = await mkdtemp(join(tmpdir(), 'reget-sftp-bench-'));
  const keyFile = join(directory, 'id_ed25519');
  await writeFile(keyFile, key.private, { mode: 0o600 });

  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      ...viteNodeArgs(),
      fileURLToPath(import.meta.url),
      '--',
      '--serve',
      String(sizeMiB),
    ],
    {
      env: {
        ...process.env,
        BENCH_CLIENT_PUBLIC_KEY: key.public,
        // Lets the server run with other flags than the client (e.g. only one side without the binding).
        NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? '',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const served = JSON.parse(line) as Served;
  const binding = (await import('ssh2/lib/protocol/crypto.js' as string)) as { bindingAvailable: boolean };
  const serverFlags = process.env.BENCH_SERVER_NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? '';
  console.log(
    `${sizeMiB} MiB over loopback; node ${process.version}; ssh2 native crypto binding: client ${binding.bindingAvailable ? 'on' : 'off'}, server ${serverFlags.includes('no-binding') ? 'off' : 'on'}; cipher: ${await negotiatedCipher(served)}`,
  );

  const baselineRss = process.memoryUsage().rss;
  const methods = (process.env.BENCH_METHODS ?? 'reget,lent,stream,fastget,openssh').split(',');
  const results: Array<[string, number[], number?]> = [];
  if (methods.includes('reget')) {
    const reget: number[] = [];
    let peakRss = 0;
    for (let run = 0; run < runs; run++) {
      const measured = await measure(size, () => viaReget(served));
      reget.push(measured.mibPerSecond);
      peakRss = Math.max(peakRss, measured.peakRss);
    }
    results.push(['reget pipelined read', reget, peakRss - baselineRss]);
  }
  const others: Array<[string, string, () => Promise<number>]> = [
    ['lent', 'reget through a connected ssh2-sftp-client', () => viaLentClient(served)],
    ['stream', 'ssh2-sftp-client createReadStream (defaults)', () => viaCreateReadStream(served)],
    ['fastget', 'ssh2-sftp-client fastGet (to disk; cannot resume)', () => viaFastGet(served, directory)],
  ];
  if (spawnSync('sftp', ['-V']).error === undefined) {
    others.push(['openssh', 'OpenSSH sftp client', () => viaOpenSsh(served, keyFile)]);
  }
  for (const [method, name, run] of others) {
    if (!methods.includes(method)) continue;
    const values: number[] = [];
    for (let index = 0; index < runs; index++) values.push((await measure(size, run)).mibPerSecond);
    results.push([name, values]);
  }

  for (const [name, values, rss] of results) {
    const best = Math.max(...values);
    const text = values.map((value) => value.toFixed(value < 10 ? 2 : 0)).join(', ');
    console.log(
      `${name.padEnd(46)} best ${best.toFixed(best < 10 ? 2 : 0).padStart(4)} MiB/s  (runs: ${text})${rss ? `  RSS growth ${(rss / mib).toFixed(0)} MiB` : ''}`,
    );
  }
  child.kill();
  await rm(directory, { recursive: true, force: true });
}

/** vite-node again for the server child, with the config that maps @reget/* to sources. */
function viteNodeArgs(): string[] {
  return [process.argv[1] ?? 'vite-node', '--config', process.env.REGET_BENCH_CONFIG ?? 'vitest.config.ts'];
}

async function measure(
  size: number,
  run: () => Promise<number>,
): Promise<{ mibPerSecond: number; peakRss: number }> {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const bytes = await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  if (process.env.BENCH_SHOW_CPU)
    console.log(
      `  client CPU ${(((used.user + used.system) / 1e6 / seconds) * 100).toFixed(0)}% over ${seconds.toFixed(2)} s`,
    );
  clearInterval(sampler);
  if (bytes !== size) throw new Error(`read ${bytes} bytes, expected ${size}`);
  return { mibPerSecond: size / mib / seconds, peakRss };
}

async function viaReget(served: Served): Promise<number> {
  const readAheadMiB = Number(process.env.BENCH_READ_AHEAD_MIB ?? 4);
  const adapter = createSftpAdapter({
    hostKey: served.fingerprint,
    password: served.password,
    readAheadBytes: readAheadMiB * mib,
  });
  const signal = new AbortController().signal;
  const remote = await adapter.open(new URL(`sftp://${served.username}@127.0.0.1:${served.port}/big.bin`), {
    signal,
    connectTimeoutMs: 10_000,
  });
  let bytes = 0;
  for await (const chunk of (await remote.read({ start: 0, signal })).body) bytes += chunk.length;
  await remote.close();
  return bytes;
}

/** reget reading through a connected ssh2-sftp-client Client (the `client` option), connecting included as for the others. */
async function viaLentClient(served: Served): Promise<number> {
  const client = new SftpClient();
  await client.connect(clientConfig(served));
  const adapter = createSftpAdapter({
    client,
    readAheadBytes: Number(process.env.BENCH_READ_AHEAD_MIB ?? 4) * mib,
  });
  const signal = new AbortController().signal;
  const remote = await adapter.open(new URL(`sftp://127.0.0.1:${served.port}/big.bin`), {
    signal,
    connectTimeoutMs: 10_000,
  });
  let bytes = 0;
  for await (const chunk of (await remote.read({ start: 0, signal })).body) bytes += chunk.length;
  await remote.close();
  await client.end();
  return bytes;
}

function clientConfig(served: Served) {
  return {
    host: '127.0.0.1',
    port: served.port,
    username: served.username,
    password: served.password,
    hostHash: 'sha256',
    hostVerifier: (hash: string) =>
      `SHA256:${Buffer.from(hash, 'hex').toString('base64').replace(/=+$/, '')}` === served.fingerprint,
  };
}

async function viaCreateReadStream(served: Served): Promise<number> {
  const client = new SftpClient();
  await client.connect(clientConfig(served));
  let bytes = 0;
  for await (const chunk of client.createReadStream('/big.bin')) bytes += (chunk as Buffer).length;
  await client.end();
  return bytes;
}

/** fastGet writes a local file (it refuses /dev/null), so its figure includes the disk writes. */
async function viaFastGet(served: Served, directory: string): Promise<number> {
  const client = new SftpClient();
  await client.connect(clientConfig(served));
  const local = join(directory, 'fastget.bin');
  await client.fastGet('/big.bin', local);
  await client.end();
  const { size } = await stat(local);
  await rm(local);
  return size;
}

async function viaOpenSsh(served: Served, keyFile: string): Promise<number> {
  const child = spawn(
    'sftp',
    [
      '-q',
      '-i',
      keyFile,
      '-P',
      String(served.port),
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'BatchMode=yes',
      // BENCH_OPENSSH_CIPHER compares like with like; by default OpenSSH picks chacha20-poly1305.
      ...(process.env.BENCH_OPENSSH_CIPHER ? ['-c', process.env.BENCH_OPENSSH_CIPHER] : []),
      '-b',
      '-',
      `${served.username}@127.0.0.1`,
    ],
    { stdio: ['pipe', 'ignore', 'inherit'] },
  );
  child.stdin.end('get /big.bin /dev/null\n');
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`sftp exited ${code}`);
  const client = new SftpClient();
  await client.connect(clientConfig(served));
  const stats = await client.stat('/big.bin');
  await client.end();
  return stats.size;
}

async function negotiatedCipher(served: Served): Promise<string> {
  const client = new ssh2.Client();
  const cipher = new Promise<string>((resolve, reject) => {
    client.on('handshake', (negotiated) => resolve(negotiated.cs.cipher));
    client.on('error', reject);
  });
  client.connect(clientConfig(served));
  const name = await cipher;
  client.end();
  return name;
}
