export type {
  ErrorPageFault,
  HeadMode,
  HttpServerFaults,
  RawResponder,
  RecordedRequest,
  RedirectFault,
  ValidatorMode,
} from './faults.js';
export { rawForGet, rawResponse } from './raw.js';
export type { RecordingOrigin } from './second-origin.js';
export { type HttpServerOptions, HttpTestServer, startHttpServer } from './server.js';
export { httpConformanceTarget } from './target.js';
