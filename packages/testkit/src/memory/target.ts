import type { ConformanceTarget } from '../conformance/target.js';
import { createMemoryServer, type MemoryValidatorMode } from './memory-server.js';

/**
 * The memory server as a conformance target, so core's own test adapter runs the same suite. With
 * `authenticates: false` the server takes any credentials, and the suite lists `auth` as not run.
 */
export function memoryConformanceTarget(
  validator: MemoryValidatorMode = 'strong',
  { authenticates = true }: { readonly authenticates?: boolean | undefined } = {},
): ConformanceTarget {
  return {
    name: `memory (${validator} validator${authenticates ? '' : ', no login'})`,
    capabilities: {
      ignoreRange: true,
      refuseRange: true,
      stall: true,
      strongValidator: validator === 'strong',
      segments: true,
    },
    start: async () => createMemoryServer({ validator, authenticates }),
  };
}
