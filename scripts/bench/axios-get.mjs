// The benchmark's durable HTTP baseline: a plain axios stream of the URL into a file (axios's own
// defaults but `responseType: 'stream'`), run by tools.mjs followed by `sync -d` on the output, the
// flush reget does before its rename. Usage: node axios-get.mjs <url> <file>
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import axios from 'axios';

const [url, file] = process.argv.slice(2);
const response = await axios.get(url, { responseType: 'stream' });
await pipeline(response.data, createWriteStream(file));
