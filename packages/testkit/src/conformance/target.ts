import type { Adapter } from '@reget/core';

/**
 * Faults a test server can inject into the responses it sends from now on. Every server implements
 * the ones its {@link ConformanceCapabilities} declare; the suite runs only the slices that apply
 * and lists the ones it did not run.
 */
export interface ServerFaults {
  /** Close the transfer (connection, data channel or SFTP handle) after this many body bytes. */
  readonly dropAfterBytes?: number | undefined;
  /** How many responses `dropAfterBytes` applies to before the server behaves again (default: all). */
  readonly dropTimes?: number | undefined;
  /** Send the whole file from byte 0 whatever offset was asked (HTTP 200, FTP REST accepted then ignored). */
  readonly ignoreRange?: boolean | undefined;
  /** Refuse to start at an offset (FTP: REST answered 502). */
  readonly refuseRange?: boolean | undefined;
  /** Stop sending after this many body bytes but keep the connection open. */
  readonly stallAfterBytes?: number | undefined;
}

/** What a conformance server can do beyond serving files. */
export interface ConformanceCapabilities {
  readonly ignoreRange: boolean;
  readonly refuseRange: boolean;
  readonly stall: boolean;
  /** The adapter gets a strong validator from this server (HTTP strong ETag). */
  readonly strongValidator: boolean;
  /**
   * The adapter serves one file over several connections at once. Declared here, by the target,
   * and not read from the adapter: an adapter that stopped declaring segments must fail the suite.
   */
  readonly segments: boolean;
}

/** One running server plus an adapter configured to reach it. */
export interface ConformanceServer {
  /** An adapter configured for this server (credentials, CA, host key pin…). */
  readonly adapter: Adapter;
  /** The URL of `path` (e.g. `/file.bin`) on this server. */
  url(path: string): string;
  /**
   * The URL of `path` with credentials the server refuses (for the auth-failure scenario), or
   * undefined when the server does not authenticate; the suite then lists that scenario as not run.
   */
  unauthorizedUrl?(path: string): string | undefined;
  /**
   * Connections the server accepted since it started (TCP connections, FTP control connections,
   * SSH connections), or absent when it has none to count; the suite then lists the
   * connection-reuse scenario as not run.
   */
  connectionsAccepted?(): number;
  /** Creates or replaces a file. Replacing must change the validator the adapter reports. */
  putFile(path: string, content: Uint8Array): Promise<void>;
  /** Faults for the responses sent from now on; `{}` clears them. */
  setFaults(faults: ServerFaults): void;
  /** File body bytes sent since the last {@link ConformanceServer.resetCounters}. */
  bytesSent(): number;
  /**
   * The offset at which each transfer of a file body started, in the order they started, since the
   * last {@link ConformanceServer.resetCounters}: an HTTP GET answered with a body, an FTP RETR (at
   * its REST offset), an SFTP handle's first READ, a memory read. Counted by the server, so that a
   * download split among connections is seen to be split, whatever the client says about it.
   */
  transferStarts(): readonly number[];
  resetCounters(): void;
  close(): Promise<void>;
}

/** An adapter under test: a name, what its server can do, and a way to start a fresh server. */
export interface ConformanceTarget {
  readonly name: string;
  readonly capabilities: ConformanceCapabilities;
  start(): Promise<ConformanceServer>;
}
