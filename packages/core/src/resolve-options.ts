import { ErrorCode, RegetError } from './errors.js';
import type { DownloadOptions, ExistingFilePolicy } from './options.js';

/** Every option with its default applied and its value checked. */
export interface ResolvedOptions {
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly limitRateBytesPerSecond: number | undefined;
  readonly allowRestart: boolean;
  readonly durable: boolean;
  readonly restart: boolean;
  readonly ifExists: ExistingFilePolicy;
  readonly connections: number;
  readonly maxConnectionsPerHost: number;
  readonly minSegmentBytes: number;
  readonly overlapBytes: number;
  readonly progressIntervalMs: number;
  readonly maxRestarts: number;
  readonly lowSpeedLimit: DownloadOptions['lowSpeedLimit'];
}

function count(name: string, value: number | undefined, fallback: number, minimum = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `The option ${name} must be a whole number of at least ${minimum}.`,
    );
  }
  return value;
}

/** Applies defaults and rejects nonsense (negative timeouts, fractional retries) as BAD_INPUT. */
export function resolveOptions(options: DownloadOptions): ResolvedOptions {
  if (typeof options.destination !== 'string' || options.destination === '') {
    throw new RegetError(ErrorCode.BAD_INPUT, 'A destination path is required.');
  }
  const ifExists = options.ifExists ?? 'error';
  if (!['error', 'overwrite', 'continue'].includes(ifExists)) {
    throw new RegetError(ErrorCode.BAD_INPUT, 'The option ifExists must be error, overwrite or continue.');
  }
  const limit = options.limitRateBytesPerSecond;
  return {
    retries: count('retries', options.retries, 5),
    retryDelayMs: count('retryDelayMs', options.retryDelayMs, 500),
    connectTimeoutMs: count('connectTimeoutMs', options.connectTimeoutMs, 30_000, 1),
    idleTimeoutMs: count('idleTimeoutMs', options.idleTimeoutMs, 60_000, 1),
    limitRateBytesPerSecond: limit === undefined ? undefined : count('limitRateBytesPerSecond', limit, 0, 1),
    allowRestart: options.allowRestart ?? true,
    durable: options.durable ?? true,
    restart: options.restart ?? false,
    ifExists,
    connections: count('connections', options.connections, 1, 1),
    maxConnectionsPerHost: count('maxConnectionsPerHost', options.maxConnectionsPerHost, 16, 1),
    minSegmentBytes: count('minSegmentBytes', options.minSegmentBytes, 1 << 20, 1),
    overlapBytes: count('overlapBytes', options.overlapBytes, 65_536),
    progressIntervalMs: count('progressIntervalMs', options.progressIntervalMs, 200),
    maxRestarts: 3,
    lowSpeedLimit: options.lowSpeedLimit && {
      bytesPerSecond: count('lowSpeedLimit.bytesPerSecond', options.lowSpeedLimit.bytesPerSecond, 0, 1),
      seconds: count('lowSpeedLimit.seconds', options.lowSpeedLimit.seconds, 0, 1),
    },
  };
}
