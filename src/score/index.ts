/** The scoring stage: verdicts, rules, allow-list, calibration and the anomalies.log record. */
export { Scorer, rarityBits, rateThreshold, scoringRuleFrom, WHAT_FEATURES, WHO_FEATURES } from './scorer.js';
export type { ScoringRule, Verdict } from './scorer.js';
export { techniqueFor } from './techniques.js';
export type { Technique } from './techniques.js';
export { AllowList } from './allowlist.js';
export { ANOMALY_SCHEMA, anomalyValues } from './anomaly-record.js';
export type { RecordContext } from './anomaly-record.js';
export { RecordEvaluator, checkModelFeatures } from './evaluator.js';
export type { Evaluation, EvaluatorOptions } from './evaluator.js';
export { calibrateModel, fewerClustersNote, trainModel } from './calibrate.js';
export type { TrainOptions } from './calibrate.js';
export { TechniqueVetting, indexProfile, profileHosts } from './vetting.js';
export type { TechniqueProfile, VettedPair } from './vetting.js';
export { TrainingSetBuilder } from './training-set.js';
export type { TrainingSet } from './training-set.js';
export { RoutineIndex, RoutineStats, routineOptionsFrom, DEFAULT_ROUTINE_OPTIONS, ANY_GROUP } from './routine.js';
export type { RoutineOptions, RoutineProfile, RoutineStatsJson, RoutineVerdict } from './routine.js';
export { techniqueOperations } from './techniques.js';
