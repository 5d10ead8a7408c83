export type {
  ConformanceCapabilities,
  ConformanceServer,
  ConformanceTarget,
  ServerFaults,
} from './conformance/target.js';
export { makeContent, seededRandom, sha256 } from './content.js';
export {
  createMemoryServer,
  type MemoryFaults,
  type MemoryServer,
  type MemoryServerOptions,
  type MemoryValidatorMode,
} from './memory/memory-server.js';
export { memoryConformanceTarget } from './memory/target.js';
