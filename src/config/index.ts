/** The configuration stage's public surface. */
export { ownOutputMatchedBy } from './cross-check.js';
export { DEFAULT_CONFIG_PATH, defaultConfig, formatProblem, loadConfigFile, parseConfigText } from './load.js';
export type { ParseOptions } from './load.js';
export { diffConfig, formatConfigChange } from './diff.js';
export type { ConfigChange } from './diff.js';
export { checkDirectories } from './directories.js';
export { renderConfigurationMarkdown, renderEffectiveIni, renderExampleIni } from './render.js';
export { FEATURE_NAMES } from './types.js';
export type {
  AllowRule,
  Config,
  ConfigEnv,
  ConfigProblem,
  EffectiveIni,
  FeatureName,
  FeatureOptions,
  InputOptions,
  IpGroupFallback,
  LoggingOptions,
  MetricsOptions,
  ModelOptions,
  OutputOptions,
  ScoringOptions,
  TrainingOptions,
} from './types.js';
