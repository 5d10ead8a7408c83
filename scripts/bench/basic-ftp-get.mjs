// The benchmark's FTP baseline (issue 4): basic-ftp's own downloadTo, the library the FTP adapter
// is built on. Usage: node basic-ftp-get.mjs <ftp-url> <file>
import { Client } from 'basic-ftp';

const [url, file] = process.argv.slice(2);
const { hostname, port, pathname } = new URL(url);
const client = new Client();
try {
  await client.access({ host: hostname, port: Number(port || 21), user: 'anonymous', password: 'bench@' });
  await client.downloadTo(file, decodeURIComponent(pathname.slice(1)));
} finally {
  client.close();
}
