/** The local ASL engine: both query languages, every state type, intrinsics, errors, history and a controllable clock. */
export { AslEngine, Execution } from './engine';
export type { AslEngineOptions, ExecutionResult, ExecutionStatus, StartExecutionOptions } from './engine';
export type { RetryDelayInfo, TaskContext, TaskHandler, TaskHandlers } from './execution-services';
export { ManualClock, RealClock, realClock } from './clock';
export type { Clock } from './clock';
export * from './errors';
export { historyJson } from './history';
export type { HistoryEvent } from './history';
export type { QueryLanguage, StateDefinition, StateMachineDefinition } from './types';
