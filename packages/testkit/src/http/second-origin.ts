import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validatorHeaders } from './answers.js';
import type { RecordedRequest, RedirectFault } from './faults.js';
import type { HttpFileStore } from './files.js';
import { serveFile } from './serve-file.js';

/**
 * A second origin (plain HTTP, another port) serving the same files correctly and recording every
 * request with its headers: the target of cross-origin and https→http redirects (FAULTS SEC-03).
 */
export class RecordingOrigin {
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #origin: string;

  private constructor(server: Server, origin: string) {
    this.#server = server;
    this.#origin = origin;
  }

  /** Starts the origin on 127.0.0.1; `onBytes` counts the file bytes it sends. */
  static async start(files: HttpFileStore, onBytes: (count: number) => void): Promise<RecordingOrigin> {
    let origin: RecordingOrigin | undefined;
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://placeholder');
      origin?.requests.push({
        method: request.method ?? 'GET',
        path: url.pathname + url.search,
        headers: request.headers,
        isProxied: !(request.url ?? '/').startsWith('/'),
      });
      const file = files.get(decodeURIComponent(url.pathname));
      response.on('pipe', (source) => source.on('data', (chunk: Buffer) => onBytes(chunk.length)));
      serveFile(request, response, {
        root: files.root,
        encodedPath: url.pathname,
        headers: file ? validatorHeaders(file, 'strong-etag', false) : {},
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    origin = new RecordingOrigin(server, `http://127.0.0.1:${port}`);
    return origin;
  }

  /** `http://127.0.0.1:<port>`. */
  get origin(): string {
    return this.#origin;
  }

  /** The URL of `path` on this origin. */
  url(path: string): string {
    return new URL(path, this.#origin).href;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/**
 * Where a redirect fault sends `pathAndQuery`: the second origin, `/moved…` on the same origin, the
 * request target itself (a loop), or the fault's literal Location.
 */
export function redirectLocation(
  fault: RedirectFault,
  pathAndQuery: string,
  target: string,
  secondOrigin: RecordingOrigin,
): string {
  if (fault.to === 'second-origin') return secondOrigin.url(pathAndQuery);
  if (fault.to === 'same-origin') return `/moved${pathAndQuery}`;
  if (fault.to === 'loop') return target;
  return fault.to;
}
