#!/usr/bin/env node
// TensorFlow.js's ES modules import siblings without extensions: resolve them (see src/tfjs-resolve.ts).
import '../dist/tfjs-hooks.js';

const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
