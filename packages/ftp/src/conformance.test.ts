import { ftpConformanceTarget } from '@reget/testkit';
import { runConformanceSuite } from '@reget/testkit/conformance';

runConformanceSuite(ftpConformanceTarget());
runConformanceSuite(ftpConformanceTarget({ security: 'explicit' }));
