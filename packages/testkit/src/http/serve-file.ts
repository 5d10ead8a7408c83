import type { Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import send from 'send';

/** What {@link serveFile} needs besides the request and response. */
export interface ServeFileOptions {
  /** Directory the URL path is resolved in. */
  readonly root: string;
  /** The URL path, still percent-encoded (send decodes and normalises it). */
  readonly encodedPath: string;
  /** Headers set before `send` looks at the request; its own ETag and Last-Modified are off. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Headers set from `send`'s own `stat` of the file, after `headers` and before the Range and
   * If-Range checks, so the validators describe the very file whose size and bytes are sent.
   */
  readonly headersOf?: ((stats: Stats) => Readonly<Record<string, string>>) | undefined;
}

/**
 * Serves a file with `send`, which implements Range, If-Range and 416 correctly (RFC 9110 §13,
 * §14) so the embedded server's normal path is a well-kept library's, not ours. Validators come from
 * `headers` (send's own ETag is weak, being derived from size and mtime).
 */
export function serveFile(
  request: IncomingMessage,
  response: ServerResponse,
  options: ServeFileOptions,
): void {
  for (const [name, value] of Object.entries(options.headers)) response.setHeader(name, value);
  send(request, options.encodedPath, {
    root: options.root,
    etag: false,
    lastModified: false,
    cacheControl: false,
    dotfiles: 'deny',
    index: false,
  })
    .on('headers', (_response: ServerResponse, _path: string, stats: Stats) => {
      for (const [name, value] of Object.entries(options.headersOf?.(stats) ?? {})) {
        response.setHeader(name, value);
      }
    })
    .on('error', (error: { status?: number }) => {
      const status = error.status ?? 500;
      response.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': 0 });
      response.end();
    })
    .pipe(response);
}
