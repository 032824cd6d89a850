/**
 * The cost stage: price tables with sources, cost per run, inference cost per request, ROI and
 * break-even. Pure functions; `fte roi` (src/commands/roi.ts) reads the store through src/cost/sweep-roi.ts.
 */
export * from './prices.js';
export * from './flops.js';
export * from './spec.js';
export * from './inference.js';
export * from './run-cost.js';
export * from './roi.js';
