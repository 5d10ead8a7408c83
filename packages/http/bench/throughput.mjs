// Throughput of @reget/http against a plain Node stream-to-file of the same URL, in one run.
// Usage: node packages/http/bench/throughput.mjs <url> [rounds]   (build first: npx tsc -b packages/http)
// Prints MB/s for each way, the ratio, and peak RSS. A benchmark, not a test: it asserts nothing.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { download } from '@reget/core';
import { createHttpAdapter } from '@reget/http';

const url = process.argv[2];
const rounds = Number(process.argv[3] ?? 3);
if (!url) {
  console.error('usage: node packages/http/bench/throughput.mjs <url> [rounds]');
  process.exit(2);
}
const directory = await mkdtemp(join(tmpdir(), 'reget-http-bench-'));
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

async function timed(name, run) {
  const started = process.hrtime.bigint();
  const bytes = await run(join(directory, `${name}.bin`));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await rm(join(directory, `${name}.bin`), { force: true });
  return bytes / seconds / 1e6;
}

function plainNode(file) {
  const get = url.startsWith('https:') ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      let bytes = 0;
      response.on('data', (chunk) => {
        bytes += chunk.length;
      });
      pipeline(response, createWriteStream(file)).then(() => resolve(bytes), reject);
    }).on('error', reject);
  });
}

async function adapterToFile(file) {
  const remote = await createHttpAdapter().open(new URL(url), {
    signal: new AbortController().signal,
    connectTimeoutMs: 10_000,
  });
  try {
    const response = await remote.read({ start: 0, signal: new AbortController().signal });
    let bytes = 0;
    const counted = Readable.from(response.body, { objectMode: false });
    counted.on('data', (chunk) => {
      bytes += chunk.length;
    });
    await pipeline(counted, createWriteStream(file));
    return bytes;
  } finally {
    await remote.close();
  }
}

async function coreDownload(file) {
  const result = await download({ url, destination: file, adapters: [createHttpAdapter()] });
  return result.size;
}

const results = { plain: [], adapter: [], download: [] };
for (let round = 0; round < rounds; round += 1) {
  results.plain.push(await timed('plain', plainNode));
  results.adapter.push(await timed('adapter', adapterToFile));
  results.download.push(await timed('download', coreDownload));
}
clearInterval(sampler);
await rm(directory, { recursive: true, force: true });
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const plain = median(results.plain);
for (const [name, values] of Object.entries(results)) {
  const value = median(values);
  console.log(
    `${name.padEnd(9)} ${value.toFixed(0).padStart(6)} MB/s  ${(value / plain).toFixed(3)}× plain  (rounds: ${values.map((v) => v.toFixed(0)).join(', ')})`,
  );
}
console.log(`peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
