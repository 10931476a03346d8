/** The feature stage: DceRpcRecord → categorical vector, plus the training sampler. */
export { FeatureExtractor } from './extractor.js';
export { CidrTrie, IpGroupResolver } from './ip-groups.js';
export { parseAddress, parseCidr, formatAddress, type ParsedAddress, type ParsedCidr } from './ip-address.js';
export {
  DEFAULT_FEATURE_OPTIONS,
  FEATURE_NAMES,
  NOTEBOOK_FEATURES,
  NOTEBOOK_TIME_BINS,
  isFeatureName,
  type FeatureName,
  type FeatureOptions,
  type IpGroup,
  type IpGroupFallback,
  type TimeBin,
} from './options.js';
export { LocalClock, WEEKDAYS, hourLabels } from './time-bins.js';
export {
  TrainingSampler,
  type SampleMode,
  type TrainingSamplerOptions,
  type TrainingSamplerState,
} from './sampler.js';
