import type { IncomingMessage } from 'node:http';
import * as http from 'node:http';
import * as https from 'node:https';

/** One request for {@link sendDirect}: everything already decided by the client. */
export interface DirectRequest {
  readonly method: 'GET' | 'HEAD';
  readonly headers: Readonly<Record<string, string>>;
  readonly agent: http.Agent;
  readonly signal: AbortSignal;
  /** Called with the request as soon as it exists (the client's connect timeout). */
  readonly onRequest: (request: http.ClientRequest) => void;
}

/**
 * Sends one request with Node's http/https and resolves with the response head, its body unread;
 * rejects with Node's own error (classified by the caller). It does what axios does for a request
 * without a proxy, the redirects and decoding being left to the client as they are with axios:
 * TCP keep-alive probes every minute, the request destroyed when `signal` aborts, before the head
 * or after it until the response closes.
 * Credentials are never taken from the URL here; the client sends its own Authorization.
 */
export function sendDirect(url: URL, request: DirectRequest): Promise<IncomingMessage> {
  const { signal } = request;
  return new Promise<IncomingMessage>((resolve, reject) => {
    const options: https.RequestOptions = {
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: request.method,
      headers: request.headers,
      agent: request.agent,
    };
    const transport = url.protocol === 'https:' ? https : http;
    const clientRequest = transport.request(options);
    const onAbort = () => clientRequest.destroy(signal.reason as Error);
    const settle = () => signal.removeEventListener('abort', onAbort);
    clientRequest.once('response', (response) => {
      // An abort after the head must still close the connection, even if nobody reads the body (core
      // may drop a response whose read it stopped waiting for); axios kept its listener the same way.
      response.once('close', settle);
      // Destroyed unread, the response reports 'aborted' as an error: the reader's, if there is one.
      response.on('error', () => undefined);
      resolve(response);
    });
    // Kept after the head too: a socket error later on is also emitted here, and must not go unheard.
    clientRequest.on('error', (error) => {
      settle();
      reject(error);
    });
    // A peer that vanishes without a FIN is noticed on an idle keep-alive socket (as axios does).
    clientRequest.on('socket', (socket) => socket.setKeepAlive(true, 60_000));
    request.onRequest(clientRequest);
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    clientRequest.end();
  });
}
