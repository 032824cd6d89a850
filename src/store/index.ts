/**
 * The store's public surface: open it, write through the one writer, read through the queries.
 * See open.ts (open/close, snapshots), writer.ts (crash safety, baselines), reader.ts and queries.ts
 * (records), step-buffer.ts (step metrics) and schema.ts (tables, views).
 */
export { openStore, withStore, snapshotPath } from './open.js';
export type { OpenStoreOptions } from './open.js';
export { Store } from './writer.js';
export { StoreReader } from './reader.js';
export { baselineRunId, newSweepId } from './ids.js';
export { STEP_FLUSH_ROWS, STEP_FLUSH_MS } from './step-buffer.js';
export type { SweepStatus, ExperimentInput, SweepInput, StartRunInput } from './writer.js';
export type { Objective, ParamValue } from './types.js';
export * as storeQueries from './queries.js';
export type {
  RunRecord,
  RunList,
  ListRunsOptions,
  RunDetail,
  CurveSummary,
  EvalResultRecord,
  PredictionRecord,
  CostRecord,
  ArtifactRecord,
  StepMetricRecord,
  StepMetricsOptions,
  ResultSelector,
  PredictionSelector,
  SweepRecord,
  SweepDetail,
  SweepBaseRecord,
  RunCheckpointRecord,
} from './queries.js';
export { SCHEMA_VERSION, MIGRATIONS, runSummarySql, paramColumns } from './schema.js';
export { StoreLockedError, StoreCorruptError, StoreVersionError, StoreMissingError, QueryError } from './errors.js';
export { openDb, Db, toPlain } from './db.js';
export type { Plain, PlainRow } from './db.js';
export { runSql, toCsv } from './sql.js';
export type { QueryResult, QueryColumn, RunSqlOptions } from './sql.js';
export { exportStore, EXPORT_FORMATS, DEFAULT_EXPORT_TABLES } from './export.js';
export type { ExportFormat, ExportOptions, ExportResult } from './export.js';
