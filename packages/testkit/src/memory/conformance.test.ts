import { runConformanceSuite } from '../conformance/index.js';
import { memoryConformanceTarget } from './target.js';

runConformanceSuite(memoryConformanceTarget('strong'));
runConformanceSuite(memoryConformanceTarget('weak'));
runConformanceSuite(memoryConformanceTarget('none'));
// A server without logins: the suite must list the auth scenario as not run, and see that it is so.
runConformanceSuite(memoryConformanceTarget('strong', { authenticates: false }));
