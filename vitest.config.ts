import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests run against each package's TypeScript source, so `npm test` needs no build step.
export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^@reget\/testkit\/conformance$/,
        replacement: source('./packages/testkit/src/conformance/index.ts'),
      },
      {
        find: /^@reget\/testkit\/property$/,
        replacement: source('./packages/testkit/src/property/index.ts'),
      },
      {
        find: /^@reget\/(core|testkit|http|ftp|sftp|metalink|bullmq)$/,
        replacement: source('./packages/$1/src/index.ts'),
      },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
