import type { Adapter, OpenContext, Remote } from '@reget/core';
import type { AxiosInstance } from 'axios';
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
 * verified unless `insecure` is set. Throws BAD_INPUT for an unusable option.
 */
export function createHttpAdapter(options: HttpAdapterOptions = {}): HttpAdapter {
  const resolved = resolveHttpOptions(options);
  return {
    name: 'http',
    schemes: ['http', 'https'],
    capabilities: { ranges: true, segments: true, probesWithRead: true },
    isInsecure: resolved.insecure,
    axios: resolved.axios,
    async open(url: URL, context: OpenContext): Promise<Remote> {
      const client = new HttpClient(url, resolved, context.connectTimeoutMs);
      return new HttpRemote(client, resolved.headTimeoutMs);
    },
  };
}
