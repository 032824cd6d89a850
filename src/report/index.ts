/**
 * The report stage: view models, handlebars/Vega-Lite rendering, PR-comment markdown, comparisons.
 */
export { buildReportViewModel, sweptParams, preferredMetric } from './view-model.js';
export type { ReportViewModel, ViewModelOptions } from './view-model.js';
export type { ReportData, RunData, SweepInfo, BaselineData } from './data.js';
export { loadReportData } from './load.js';
export { renderReportHtml, renderCharts, safeJsonForScript, TEMPLATES_DIR } from './render.js';
export { writeReport, fteVersion } from './report.js';
export type { WriteReportOptions, WriteReportResult } from './report.js';
export { compareSides, parseThresholds } from './compare.js';
export { compareRefs, resolveRef, resolveSides } from './compare-refs.js';
export type { Comparison, CompareSide, MetricDelta, Threshold } from './compare.js';
export type { CompareOptions, CompareResult } from './compare-refs.js';
export { renderCompareMarkdown, mdText } from './markdown.js';
export { parseObjective, objectiveValue, lowerIsBetter } from './objective.js';
