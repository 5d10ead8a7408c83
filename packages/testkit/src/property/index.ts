export { expectUserMessage, outcomeOf, outcomeOfAsync, type ParseOutcome } from './outcome.js';
export { propertyParameters, propertySeed } from './parameters.js';
export { anyText, awkwardCharacter, nearValid, untrustedText } from './text.js';
export {
  componentText,
  passwordFragments,
  pathSegments,
  secretFragments,
  type UrlParts,
  urlHost,
  urlOf,
  urlParts,
} from './urls.js';
