/** The metrics stage's public surface: the daemon's Prometheus figures and their HTTP endpoint. */
export { ageSeconds, DaemonMetrics, METRIC_PREFIX } from './metrics.js';
export type { BatchTotals, DaemonMetricsOptions, FileLagFigure, ModelFacts, TrainingResult } from './metrics.js';
export { isLoopbackHost, MetricsServer } from './server.js';
export type { MetricsAddress, MetricsServerOptions } from './server.js';
