import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import rootConfig from '../../vitest.config.js';

/**
 * The interop tier: the adapters and the CLI against nginx, vsftpd and sshd, which run.sh starts
 * and describes in REGET_INTEROP_* variables. Same @reget/* aliases as `npm test` (the sources);
 * the CLI tests run the built command.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  resolve: rootConfig.resolve,
  test: {
    include: ['scripts/interop/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
