export { runConformanceSuite } from './suite.js';
export type {
  ConformanceCapabilities,
  ConformanceServer,
  ConformanceTarget,
  ServerFaults,
} from './target.js';
