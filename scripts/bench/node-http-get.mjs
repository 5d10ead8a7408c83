// The benchmark's HTTP baseline (issue 3): a plain Node.js stream of the URL into a file, the
// least a downloader built on Node can do. Usage: node node-http-get.mjs <url> <file>
import { createWriteStream } from 'node:fs';
import { get } from 'node:http';
import { pipeline } from 'node:stream/promises';

const [url, file] = process.argv.slice(2);
const response = await new Promise((resolve, reject) => get(url, resolve).on('error', reject));
if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode} for ${url}`);
await pipeline(response, createWriteStream(file));
