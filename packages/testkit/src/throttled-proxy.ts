import { connect, createServer, type Socket } from 'node:net';

/** A TCP proxy on loopback that passes a server's bytes to the client at a fixed rate. */
export interface ThrottledProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /** `url` with its port replaced by the proxy's. */
  via(url: string): string;
  /** Bytes the server sent through the proxy so far. */
  bytes(): number;
  close(): Promise<void>;
}

/**
 * Starts a proxy to `127.0.0.1:targetPort` that delivers the server's bytes at `bytesPerSecond`
 * per connection (a slow mirror, whatever the protocol, as long as it uses one connection: HTTP,
 * SFTP). Requests go to the server unthrottled. Real sockets, real backpressure: the server's
 * socket is paused while the proxy holds bytes.
 */
export async function startThrottledProxy(
  targetPort: number,
  bytesPerSecond: number,
): Promise<ThrottledProxy> {
  const sockets = new Set<Socket>();
  let total = 0;
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end);
    upstream.on('close', () => {
      if (!hasEnded) end();
    });
    client.pipe(upstream);
    // Slice the server's chunks into 10 ms worth of bytes, each sent on its own schedule.
    const slice = Math.max(1, Math.floor(bytesPerSecond / 100));
    let nextAt = performance.now();
    let isHolding = false;
    let hasEnded = false;
    upstream.on('data', (chunk: Buffer) => {
      upstream.pause();
      isHolding = true;
      let offset = 0;
      const sendSlice = () => {
        if (client.destroyed) return;
        const part = chunk.subarray(offset, offset + slice);
        offset += part.length;
        total += part.length;
        client.write(part);
        nextAt = Math.max(nextAt, performance.now()) + (part.length * 1000) / bytesPerSecond;
        if (offset < chunk.length) setTimeout(sendSlice, Math.max(0, nextAt - performance.now()));
        else
          setTimeout(
            () => {
              isHolding = false;
              if (hasEnded) client.end();
              else upstream.resume();
            },
            Math.max(0, nextAt - performance.now()),
          );
      };
      sendSlice();
    });
    upstream.on('end', () => {
      // What the proxy still holds is delivered before the client's side ends.
      hasEnded = true;
      if (!isHolding) client.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    via: (url) => {
      const parsed = new URL(url);
      parsed.port = String(port);
      return parsed.href;
    },
    bytes: () => total,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
