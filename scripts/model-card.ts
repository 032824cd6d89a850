/**
 * Re-render a pretrained model's README.md (model card) from its pretrain_result.json, e.g. after
 * the card template changed:  npx jiti scripts/model-card.ts [dir] [command]
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { initBackend } from '../src/train/backend.js';
import { writeModelCard } from '../src/train/model-card.js';
import type { PretrainResult } from '../src/train/pretrain.js';

const dir = process.argv[2] ?? 'models/fte-tiny-base';
const command = process.argv[3] ?? `fte pretrain --out ${dir} --steps 0 --time-budget 2100 --backend wasm`;
await initBackend('wasm');
const r = JSON.parse(readFileSync(join(dir, 'pretrain_result.json'), 'utf8')) as PretrainResult;
await writeModelCard(dir, basename(dir), r, command);
