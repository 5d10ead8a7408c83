import { sftpConformanceTarget } from '@reget/testkit';
import { runConformanceSuite } from '@reget/testkit/conformance';

runConformanceSuite(sftpConformanceTarget());
