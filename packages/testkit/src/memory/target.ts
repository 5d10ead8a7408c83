import type { ConformanceTarget } from '../conformance/target.js';
import { createMemoryServer, type MemoryValidatorMode } from './memory-server.js';

/** The memory server as a conformance target, so core's own test adapter runs the same suite. */
export function memoryConformanceTarget(validator: MemoryValidatorMode = 'strong'): ConformanceTarget {
  return {
    name: `memory (${validator} validator)`,
    capabilities: {
      ignoreRange: true,
      refuseRange: true,
      stall: true,
      strongValidator: validator === 'strong',
      segments: true,
    },
    start: async () => createMemoryServer({ validator }),
  };
}
