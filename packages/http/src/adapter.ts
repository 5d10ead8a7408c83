import type { Adapter, OpenContext, Remote } from '@reget/core';
import type { AxiosInstance } from 'axios';
import { createAgents } from './agents.js';
import { HttpClient } from './client.js';
import { type HttpAdapterOptions, resolveHttpOptions } from './options.js';
import { HttpRemote } from './remote.js';

/** The HTTP(S) adapter: an {@link Adapter} plus what a caller must tell the user about it. */
export interface HttpAdapter extends Adapter {
  /**
   * True when TLS verification is off (`insecure`, or the axios instance's httpsAgent has
   * `rejectUnauthorized: false`): the caller must print a warning.
   */
  readonly isInsecure: boolean;
  /** The axios instance every request goes through: the one given as `axios`, or reget's own. */
  readonly axios: AxiosInstance;
}

/**
 * Creates the HTTP(S) adapter for core's `download()`: every request through axios (your instance
 * as `axios`, or one of its own), byte ranges with Range / If-Range / Content-Range checked
 * strictly, `Accept-Encoding: identity`, redirects that keep credentials on their origin, TLS
 * verified unless `insecure` is set. Its keep-alive connections serve every remote it opens;
 * `close()` ends the idle ones (the axios instance's own agents are left to the caller). Throws
 * BAD_INPUT for an unusable option.
 */
export function createHttpAdapter(options: HttpAdapterOptions = {}): HttpAdapter {
  const resolved = resolveHttpOptions(options);
  const { instanceAgents } = resolved;
  // One set of keep-alive agents for every remote, so that a queue of files reuses its connections.
  const agents =
    instanceAgents.http === undefined || instanceAgents.https === undefined
      ? createAgents({ ca: resolved.ca, rejectUnauthorized: !resolved.insecure })
      : undefined;
  return {
    name: 'http',
    schemes: ['http', 'https'],
    capabilities: { ranges: true, segments: true, probesWithRead: true },
    isInsecure: resolved.insecure,
    axios: resolved.axios,
    async open(url: URL, context: OpenContext): Promise<Remote> {
      const client = new HttpClient(url, resolved, context.connectTimeoutMs, agents);
      return new HttpRemote(client, resolved.headTimeoutMs);
    },
    async close(): Promise<void> {
      agents?.destroy();
    },
  };
}
