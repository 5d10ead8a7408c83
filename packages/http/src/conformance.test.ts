import { httpConformanceTarget } from '@reget/testkit';
import { runConformanceSuite } from '@reget/testkit/conformance';

runConformanceSuite(httpConformanceTarget());
runConformanceSuite(httpConformanceTarget({ tls: true }));
