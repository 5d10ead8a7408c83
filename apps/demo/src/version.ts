import { readFileSync } from 'node:fs';

/** The version of the `reget` package, read from its package.json (one directory above src and dist). */
export function readVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const version = (manifest as { version?: unknown }).version;
  return typeof version === 'string' ? version : '0.0.0';
}
