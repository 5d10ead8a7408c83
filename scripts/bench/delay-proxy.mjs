// A TCP proxy that delays every chunk by a fixed time in each direction: a far server on loopback,
// since netem (tc qdisc … delay) needs a kernel module and privileges a container rarely has.
// 25 ms each way is a 50 ms round trip. Order is kept (one FIFO per direction), and so is TCP
// backpressure: when the receiving side cannot take more, the sending side is paused, so a
// sender's flow control (TCP's, SSH's channel window, SFTP's requests in flight) still decides
// how many bytes are on the "wire". No bandwidth cap: only the delay.
//
// As a module: `startDelayProxy({ targetHost, targetPort, delayMs })` → { port, close() }.
// As a command: `node delay-proxy.mjs <targetPort> <delayMs> [targetHost] [listenPort]` prints
// `listening <port>` once it accepts connections, and runs until killed. With `--trace` (anywhere
// on the line) it also writes one line per connection and per chunk to stderr
// (seconds since the epoch, connection number, direction, bytes): where the round trips go.
import { createServer, connect as netConnect } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Bytes held in one direction's delay line before the sender is paused (a large "wire"). */
const maxQueuedBytes = 64 * 1024 * 1024;

/**
 * Moves bytes from `from` to `to`, each chunk `delayMs` after it arrived, in order. Pauses `from`
 * while `to` is backpressured or the delay line holds more than `maxQueuedBytes`.
 */
function delayLine(from, to, delayMs, trace) {
  const queue = [];
  let queuedBytes = 0;
  let isScheduled = false;
  let isBlocked = false;

  const updateFlow = () => {
    const shouldPause = isBlocked || queuedBytes > maxQueuedBytes;
    if (shouldPause && !from.isPaused()) from.pause();
    else if (!shouldPause && from.isPaused()) from.resume();
  };
  const schedule = (delay) => {
    if (isScheduled) return;
    isScheduled = true;
    setTimeout(flush, Math.max(0, delay));
  };
  const flush = () => {
    isScheduled = false;
    const now = performance.now();
    while (queue.length > 0 && queue[0].due <= now) {
      const { chunk } = queue.shift();
      if (chunk !== null) queuedBytes -= chunk.length;
      if (to.destroyed) continue;
      // null: the sender's FIN, after the bytes before it.
      if (chunk === null) to.end();
      else if (!to.write(chunk)) isBlocked = true;
    }
    if (queue.length > 0) schedule(queue[0].due - performance.now());
    updateFlow();
  };
  to.on('drain', () => {
    isBlocked = false;
    updateFlow();
  });
  from.on('data', (chunk) => {
    trace?.(chunk.length);
    queue.push({ chunk, due: performance.now() + delayMs });
    queuedBytes += chunk.length;
    schedule(delayMs);
    updateFlow();
  });
  // A half-close travels with the same delay, after the bytes before it.
  from.on('end', () => {
    queue.push({ chunk: null, due: performance.now() + delayMs });
    schedule(delayMs);
  });
}

/** Starts the proxy on 127.0.0.1 (`listenPort`, default an ephemeral one). */
export function startDelayProxy({
  targetHost = '127.0.0.1',
  targetPort,
  delayMs,
  listenPort = 0,
  onTrace = undefined,
}) {
  const sockets = new Set();
  let connections = 0;
  // Half-open allowed: a FIN from one side must not close the other before the delayed bytes.
  const server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
    const upstream = netConnect({ host: targetHost, port: targetPort, noDelay: true, allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    // A reset or error on one side resets the other (after no delay: it is not data).
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    const number = ++connections;
    const trace = (direction) =>
      onTrace === undefined ? undefined : (bytes) => onTrace(number, direction, bytes);
    onTrace?.(number, 'open', 0);
    client.on('close', () => onTrace?.(number, 'close', 0));
    delayLine(client, upstream, delayMs, trace('client→server'));
    delayLine(upstream, client, delayMs, trace('server→client'));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        close: () =>
          new Promise((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const words = process.argv.slice(2);
  const isTraced = words.includes('--trace');
  const [targetPort, delayMs, targetHost = '127.0.0.1', listenPort = '0'] = words.filter(
    (word) => word !== '--trace',
  );
  if (!targetPort || !delayMs) {
    process.stderr.write(
      'usage: node delay-proxy.mjs <targetPort> <delayMs> [targetHost] [listenPort] [--trace]\n',
    );
    process.exit(2);
  }
  const onTrace = isTraced
    ? (connection, what, bytes) =>
        process.stderr.write(
          `${(Date.now() / 1000).toFixed(3)} #${connection} ${what}${bytes > 0 ? ` ${bytes} B` : ''}\n`,
        )
    : undefined;
  const proxy = await startDelayProxy({
    targetHost,
    targetPort: Number(targetPort),
    delayMs: Number(delayMs),
    listenPort: Number(listenPort),
    onTrace,
  });
  process.stdout.write(`listening ${proxy.port}\n`);
}
