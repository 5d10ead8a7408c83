import { ErrorCode, RegetError } from '@reget/core';
import type { Io } from './io.js';

/** How the fleet commands reach Redis: ioredis options from `--redis` or REGET_REDIS_URL. */
export interface RedisConnection {
  readonly host: string;
  readonly port: number;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly db?: number | undefined;
  readonly tls?: object | undefined;
  /** BullMQ's workers need ioredis to retry commands forever while Redis is away. */
  readonly maxRetriesPerRequest: null;
}

/** Parses `redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS). */
export function redisConnection(flag: string | undefined, io: Io): RedisConnection {
  const text = flag ?? io.env.REGET_REDIS_URL;
  if (text === undefined || text === '') {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      'Say where Redis is: --redis redis://host:6379 (or REGET_REDIS_URL).',
    );
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RegetError(ErrorCode.BAD_INPUT, '--redis: not a URL; use redis://host:6379.');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new RegetError(ErrorCode.BAD_INPUT, '--redis: use a redis:// or rediss:// URL.');
  }
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db))
    throw new RegetError(ErrorCode.BAD_INPUT, '--redis: the database must be a number.');
  return {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: url.port === '' ? 6379 : Number(url.port),
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    db: db === '' ? undefined : Number(db),
    tls: url.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}
