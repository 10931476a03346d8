/** The output stage: anomalies.log writer, formats, ECS names, output targets and crash reconciliation. */
export { AnomalyLogWriter } from './anomaly-log-writer.js';
export type { AnomalyLogWriterOptions, OutputFileIdentity, OpenResult } from './anomaly-log-writer.js';
export { ECS_CONSTANTS, ECS_VERSION, OWN_NAMESPACES, ecsFieldName, ecsView } from './ecs.js';
export type { EcsView } from './ecs.js';
export { createAnomalyFormatter, parseZeekLocalTime, tsvOpenTime } from './format.js';
export type { AnomalyFormatter, AnomalyFormatterOptions, AnomalyLogFormat } from './format.js';
export { firstDifference, OutputReplay, reconcile } from './reconcile.js';
export type { ReconcileAppend, ReconcileMismatch, ReconcileResult, ReplayMark } from './reconcile.js';
export { nextRotationAt, rotatedFileName } from './rotation.js';
export { openOutputTarget, outputMode, writeOutputFile } from './output-target.js';
export type { OutputMode, OutputTarget } from './output-target.js';
