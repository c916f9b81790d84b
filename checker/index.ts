/** The public API for model authors and tools: `import { defineModel, ... } from 'kvmcheck'`. */

export { type DiffReport, diffModels, type PropertyDiff } from './analysis/diff.ts';
export { type NecessityReport, necessity, type OpSite, type SiteOutcome } from './analysis/necessity.ts';
export { explore } from './explore/bfs.ts';
export type { SearchOptions } from './explore/options.ts';
export * as kernel from './kernel/index.ts';
export type { Context } from './memory/context.ts';
export { type Effect, type Guard, ModelBuilder, type Predicate, ProcessBuilder } from './model/builder.ts';
export {
  defineModel,
  type InstanceOptions,
  instantiate,
  type ModelDefinition,
  registerModelModule,
} from './model/define.ts';
export {
  type ExtendOptions,
  extendModel,
  ModelPatch,
  type PatchConfig,
  type PatchedVariant,
  ProcessPatch,
} from './model/extend.ts';
export type {
  ActionInfo,
  Fairness,
  LivenessKind,
  LivenessProperty,
  Model,
  ModelSource,
  ProcessInfo,
  Property,
  RunConfig,
  Transition,
} from './model/model.ts';
export { bool, int, oneOf, type ParamSpec, type Params } from './model/params.ts';
export { type CoverageReport, coverageLines } from './report/coverage.ts';
export type { Result, Stats, Verdict, Violation } from './report/result.ts';
export { BOOL, type Domain, enumDomain, intDomain } from './state/layout.ts';
export { type RenderContext, TRACE_FORMATS, type TraceFormat } from './trace/formats.ts';
export { renderDot } from './trace/render-dot.ts';
export type { Trace, TraceStep } from './trace/trace.ts';
