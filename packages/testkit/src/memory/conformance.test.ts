import { runConformanceSuite } from '../conformance/index.js';
import { memoryConformanceTarget } from './target.js';

runConformanceSuite(memoryConformanceTarget('strong'));
runConformanceSuite(memoryConformanceTarget('weak'));
runConformanceSuite(memoryConformanceTarget('none'));
