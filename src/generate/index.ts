/** The labelled dce_rpc generator (pure, seeded) and the network it simulates. */
export { DEFAULT_START_TS, generateDceRpc, type GenerateOptions } from './generator.js';
export {
  DEPARTMENTS,
  NETWORK_GROUPS,
  UNMAPPED_RANGE,
  networkHosts,
  renderIpGroupsIni,
  type NetworkGroup,
  type NetworkHosts,
} from './network.js';
export { SCENARIOS, type ScenarioName } from './scenarios.js';
export type { LabelledRecord } from './session.js';
export { Rng } from './rng.js';
export { drawPersonality, renderPersonalityIni, PERSONALITY_SCENARIOS } from './personality.js';
export { generatePersonalityWeek } from './personality-week.js';
export type { Personality, PersonalityGroup, PersonalityOptions, Habit, RareEvent } from './personality.js';
