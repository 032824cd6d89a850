/**
 * The price table: USD per device-hour (training and self-hosted serving) and USD per million
 * tokens for hosted API models (the prompting and RAG baselines, and hosted fine-tuned models).
 *
 * Every entry names its `source` (the public price page it was read from, described in words) and
 * the `date` the figure was taken. List prices change: a spec's `cost.prices` or `fte roi --prices
 * FILE` overrides any entry (see `resolvePrices`). Device entries also carry the datasheet peak
 * dense BF16/FP16 tensor throughput (`peakFlops`, FLOP/s, no 2:4 sparsity), which turns a FLOP count
 * into time on a device we did not measure (see src/cost/flops.ts).
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UnknownNameError, UserInputError } from '../errors.js';

/** A device priced per hour; `cpu-core` is priced per core (vCPU) hour. */
export interface DevicePrice {
  kind: 'device';
  /** USD per device-hour (per vCPU-hour for `cpu-core`). */
  usdPerHour: number;
  /** Datasheet peak dense tensor throughput, FLOP/s (BF16, or FP16 where the device has no BF16). */
  peakFlops: number;
  /** Where the price was read (a public price page, in words). */
  source: string;
  /** When the price was read, `YYYY-MM` or `YYYY-MM-DD`. */
  date: string;
  /** The price page's address, when known. */
  url?: string;
  /** Where `peakFlops` comes from. */
  flopsSource: string;
  /** Device memory, GB (datasheet), to pick a serving device a model fits on (src/cost/serving.ts). Absent for `cpu-core`. */
  memoryGb?: number;
}

/** A hosted model priced per token. */
export interface ApiModelPrice {
  kind: 'api';
  /** USD per million input (prompt) tokens. */
  inputUsdPerMTokens: number;
  /** USD per million output (completion) tokens. */
  outputUsdPerMTokens: number;
  /** USD per million training tokens, for hosted fine-tuning offers (absent otherwise). */
  trainingUsdPerMTokens?: number;
  source: string;
  date: string;
  /** The price page's address, when known. */
  url?: string;
}

export type PriceEntry = DevicePrice | ApiModelPrice;

/** The resolved table: key -> entry. Keys are case-sensitive names as listed in `BUILTIN_PRICES`. */
export type PriceTable = Record<string, PriceEntry>;

const LAMBDA = 'Lambda on-demand GPU cloud price list';
const RUNPOD = 'RunPod Secure Cloud on-demand GPU price list';
const AWS = 'AWS EC2 on-demand price list, us-east-1, Linux';
const OPENAI = 'OpenAI API pricing page (standard tier)';
const ANTHROPIC = 'Anthropic API pricing page';
const GOOGLE = 'Google Gemini API pricing page (prompts up to 128k tokens)';
const LAMBDA_URL = 'https://lambdalabs.com/service/gpu-cloud';
const RUNPOD_URL = 'https://www.runpod.io/pricing';
const AWS_URL = 'https://aws.amazon.com/ec2/pricing/on-demand/';
const OPENAI_URL = 'https://openai.com/api/pricing/';
const ANTHROPIC_URL = 'https://www.anthropic.com/pricing';
const GOOGLE_URL = 'https://ai.google.dev/pricing';

/**
 * Built-in prices. On-demand list prices per single device as published around `date` (per GPU for
 * multi-GPU instances: instance price / GPU count). Peak FLOP/s are NVIDIA datasheet dense tensor
 * figures; `cpu-core` assumes one AVX2 core: 2 FMA units x 8 fp32 lanes x 2 FLOP x 3 GHz = 96 GFLOP/s.
 */
export const BUILTIN_PRICES: Readonly<PriceTable> = Object.freeze({
  H200: { kind: 'device', usdPerHour: 3.99, peakFlops: 989e12, source: `${RUNPOD}, H200 SXM 141GB`, date: '2025-01', flopsSource: 'NVIDIA H200 datasheet, BF16 dense', url: RUNPOD_URL, memoryGb: 141 },
  H100: { kind: 'device', usdPerHour: 2.99, peakFlops: 989e12, source: `${LAMBDA}, 8x H100 SXM 80GB instance, per GPU`, date: '2025-01', flopsSource: 'NVIDIA H100 SXM datasheet, BF16 dense', url: LAMBDA_URL, memoryGb: 80 },
  'A100-80GB': { kind: 'device', usdPerHour: 1.79, peakFlops: 312e12, source: `${LAMBDA}, 8x A100 SXM 80GB instance, per GPU`, date: '2025-01', flopsSource: 'NVIDIA A100 datasheet, BF16 dense', url: LAMBDA_URL, memoryGb: 80 },
  'A100-40GB': { kind: 'device', usdPerHour: 1.29, peakFlops: 312e12, source: `${LAMBDA}, 1x A100 PCIe 40GB instance`, date: '2025-01', flopsSource: 'NVIDIA A100 datasheet, BF16 dense', url: LAMBDA_URL, memoryGb: 40 },
  L40S: { kind: 'device', usdPerHour: 0.86, peakFlops: 362e12, source: `${RUNPOD}, L40S 48GB`, date: '2025-01', flopsSource: 'NVIDIA L40S datasheet, BF16 dense', url: RUNPOD_URL, memoryGb: 48 },
  L4: { kind: 'device', usdPerHour: 0.8048, peakFlops: 121e12, source: `${AWS}, g6.xlarge (1x L4, 4 vCPU)`, date: '2025-01', flopsSource: 'NVIDIA L4 datasheet, BF16 dense', url: AWS_URL, memoryGb: 24 },
  T4: { kind: 'device', usdPerHour: 0.526, peakFlops: 65e12, source: `${AWS}, g4dn.xlarge (1x T4, 4 vCPU)`, date: '2025-01', flopsSource: 'NVIDIA T4 datasheet, FP16 mixed precision (no BF16)', url: AWS_URL, memoryGb: 16 },
  'cpu-core': { kind: 'device', usdPerHour: 0.044625, peakFlops: 96e9, source: `${AWS}, c7i.large (2 vCPU) at 0.08925 USD/h, per vCPU`, date: '2025-01', flopsSource: 'assumed AVX2 core: 2 FMA x 8 fp32 lanes x 2 FLOP x 3 GHz', url: AWS_URL },
  'gpt-4o-mini': { kind: 'api', inputUsdPerMTokens: 0.15, outputUsdPerMTokens: 0.6, source: OPENAI, date: '2025-01', url: OPENAI_URL },
  'gpt-4o': { kind: 'api', inputUsdPerMTokens: 2.5, outputUsdPerMTokens: 10, source: OPENAI, date: '2025-01', url: OPENAI_URL },
  'gpt-4o-mini-ft': { kind: 'api', inputUsdPerMTokens: 0.3, outputUsdPerMTokens: 1.2, trainingUsdPerMTokens: 3, source: `${OPENAI}, fine-tuned gpt-4o-mini`, date: '2025-01', url: OPENAI_URL },
  'gpt-4o-ft': { kind: 'api', inputUsdPerMTokens: 3.75, outputUsdPerMTokens: 15, trainingUsdPerMTokens: 25, source: `${OPENAI}, fine-tuned gpt-4o`, date: '2025-01', url: OPENAI_URL },
  'claude-3-5-haiku': { kind: 'api', inputUsdPerMTokens: 0.8, outputUsdPerMTokens: 4, source: ANTHROPIC, date: '2025-01', url: ANTHROPIC_URL },
  'claude-3-5-sonnet': { kind: 'api', inputUsdPerMTokens: 3, outputUsdPerMTokens: 15, source: ANTHROPIC, date: '2025-01', url: ANTHROPIC_URL },
  'gemini-1.5-flash': { kind: 'api', inputUsdPerMTokens: 0.075, outputUsdPerMTokens: 0.3, source: GOOGLE, date: '2025-01', url: GOOGLE_URL },
} satisfies PriceTable);

/** A partial entry as a spec or a prices file writes it (`kind` is inferred from the fields). */
export const priceOverrideSchema = z
  .object({
    usdPerHour: z.number().min(0).optional(),
    peakFlops: z.number().positive().optional(),
    flopsSource: z.string().optional(),
    inputUsdPerMTokens: z.number().min(0).optional(),
    outputUsdPerMTokens: z.number().min(0).optional(),
    trainingUsdPerMTokens: z.number().min(0).optional(),
    memoryGb: z.number().positive().optional(),
    source: z.string().min(1).optional(),
    date: z.string().min(1).optional(),
    url: z.string().min(1).optional(),
  })
  .strict();
export type PriceOverride = z.output<typeof priceOverrideSchema>;

const DEVICE_FIELDS = ['usdPerHour', 'peakFlops', 'flopsSource', 'memoryGb'] as const;
const API_FIELDS = ['inputUsdPerMTokens', 'outputUsdPerMTokens', 'trainingUsdPerMTokens'] as const;

/**
 * Merges overrides into a price table. A known key takes the given fields over its own (a partial
 * override keeps the others); a new key must be a complete device (`usdPerHour`, `peakFlops`) or API
 * model (`inputUsdPerMTokens`, `outputUsdPerMTokens`). An override without `source` is named after
 * where it came from (`origin`) so that every cost row still names its price source.
 *
 * @throws UserInputError naming `origin` and the key for a malformed entry or one that mixes kinds.
 */
export function applyPriceOverrides(base: Readonly<PriceTable>, overrides: Record<string, unknown>, origin: string): PriceTable {
  const out: PriceTable = { ...base };
  for (const [key, raw] of Object.entries(overrides ?? {})) {
    const parsed = priceOverrideSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = [key, ...(issue?.path ?? []).map(String)].join('.');
      throw new UserInputError(`${origin}: prices.${path}: ${issue?.message ?? 'invalid price entry'}`);
    }
    const o = parsed.data;
    const hasDevice = DEVICE_FIELDS.some((f) => o[f] !== undefined);
    const hasApi = API_FIELDS.some((f) => o[f] !== undefined);
    if (hasDevice && hasApi) throw new UserInputError(`${origin}: prices.${key}: mixes device fields (usdPerHour, peakFlops) and API token prices`);
    const source = o.source ?? `override from ${origin}`;
    const date = o.date ?? 'unspecified';
    const prev = out[key];
    if (prev) {
      if ((prev.kind === 'device' && hasApi) || (prev.kind === 'api' && hasDevice)) {
        throw new UserInputError(`${origin}: prices.${key}: is ${prev.kind === 'device' ? 'a device (usdPerHour, peakFlops)' : 'an API model (inputUsdPerMTokens, outputUsdPerMTokens)'}; fields of the other kind given`);
      }
      const changed = hasDevice || hasApi;
      // A changed figure no longer comes from the built-in page: its source, date and address go with it.
      const url = o.url ?? (changed ? undefined : prev.url);
      const { url: _old, ...rest } = { ...prev, ...stripUndefined(o) };
      const merged = { ...rest, source: o.source ?? (changed ? source : prev.source), date: o.date ?? (changed ? date : prev.date), ...(url !== undefined ? { url } : {}) };
      out[key] = merged as PriceEntry;
      continue;
    }
    if (hasDevice) {
      if (o.usdPerHour === undefined || o.peakFlops === undefined) {
        throw new UserInputError(`${origin}: prices.${key}: a new device needs usdPerHour and peakFlops (FLOP/s); known devices: ${knownNames(out, 'device').join(', ')}`);
      }
      out[key] = { kind: 'device', usdPerHour: o.usdPerHour, peakFlops: o.peakFlops, flopsSource: o.flopsSource ?? source, source, date, ...(o.memoryGb !== undefined ? { memoryGb: o.memoryGb } : {}), ...(o.url !== undefined ? { url: o.url } : {}) };
    } else if (hasApi) {
      if (o.inputUsdPerMTokens === undefined || o.outputUsdPerMTokens === undefined) {
        throw new UserInputError(`${origin}: prices.${key}: a new API model needs inputUsdPerMTokens and outputUsdPerMTokens; known models: ${knownNames(out, 'api').join(', ')}`);
      }
      out[key] = { kind: 'api', inputUsdPerMTokens: o.inputUsdPerMTokens, outputUsdPerMTokens: o.outputUsdPerMTokens, ...(o.trainingUsdPerMTokens !== undefined ? { trainingUsdPerMTokens: o.trainingUsdPerMTokens } : {}), source, date, ...(o.url !== undefined ? { url: o.url } : {}) };
    } else {
      throw new UnknownNameError('price key', key, Object.keys(out));
    }
  }
  return out;
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Reads a prices file: JSON or YAML (`.yaml`/`.yml`), a map key -> partial entry (the same shape
 * as a spec's `cost.prices`).
 * @throws UserInputError naming the file when it is missing, unparsable or not a map.
 */
export function readPricesFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserInputError(`${path}: cannot read prices file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let data: unknown;
  try {
    const ext = extname(path).toLowerCase();
    data = ext === '.yaml' || ext === '.yml' ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new UserInputError(`${path}: not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new UserInputError(`${path}: expected a map of price key -> entry (e.g. {"H100": {"usdPerHour": 2.5}})`);
  }
  return data as Record<string, unknown>;
}

/**
 * The price table in force: built-in prices, then the spec's `cost.prices` overrides, then a prices
 * file (`--prices FILE`), each later one winning.
 * @throws UserInputError for a malformed override or unreadable file.
 */
export function resolvePrices(overrides: Record<string, unknown> = {}, pricesFile?: string): PriceTable {
  let table = applyPriceOverrides(BUILTIN_PRICES, overrides, 'spec cost.prices');
  if (pricesFile) table = applyPriceOverrides(table, readPricesFile(pricesFile), pricesFile);
  return table;
}

/** Keys of the given kind, in table order. */
export function knownNames(table: Readonly<PriceTable>, kind: PriceEntry['kind']): string[] {
  return Object.entries(table)
    .filter(([, e]) => e.kind === kind)
    .map(([k]) => k);
}

/**
 * The device entry for `name`; matching ignores case and `-`/space/`_`, so `h100`, `A100 80GB` and
 * `a100_80gb` all resolve.
 * @throws UnknownNameError listing the known devices.
 */
export function devicePrice(table: Readonly<PriceTable>, name: string): DevicePrice & { key: string } {
  const key = findKey(table, name, 'device');
  if (!key) throw new UnknownNameError('device', name, knownNames(table, 'device'));
  return { ...(table[key] as DevicePrice), key };
}

/**
 * The API model entry for `name` (matching as `devicePrice`).
 * @throws UnknownNameError listing the known API models.
 */
export function apiPrice(table: Readonly<PriceTable>, name: string): ApiModelPrice & { key: string } {
  const key = findKey(table, name, 'api');
  if (!key) throw new UnknownNameError('API model', name, knownNames(table, 'api'));
  return { ...(table[key] as ApiModelPrice), key };
}

const norm = (s: string): string => s.toLowerCase().replace(/[\s_-]+/g, '');

function findKey(table: Readonly<PriceTable>, name: string, kind: PriceEntry['kind']): string | undefined {
  if (table[name]?.kind === kind) return name;
  const n = norm(name);
  return Object.keys(table).find((k) => table[k]!.kind === kind && norm(k) === n);
}

/** `source (date)`, the string stored in `costs.price_source`. */
export function priceSourceLabel(entry: { source: string; date: string }): string {
  return `${entry.source} (${entry.date})`;
}

/** Prices older than this many months get a warning (list prices change). */
export const STALE_PRICE_MONTHS = 12;

/**
 * Whole months from a price's `date` (`YYYY-MM` or `YYYY-MM-DD`; a month-only date counts from its
 * first day) to `asOf`; null when the date is not of that form (`unspecified`).
 */
export function priceAgeMonths(date: string, asOf: Date): number | null {
  const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(date.trim());
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = m[3] ? Number(m[3]) : 1;
  let months = (asOf.getUTCFullYear() - y) * 12 + (asOf.getUTCMonth() + 1 - mo);
  if (asOf.getUTCDate() < d) months -= 1;
  return Math.max(0, months);
}

/** One price entry as the ROI lists it: where it comes from, when, and how old it is. */
export interface PriceInUse {
  key: string;
  kind: PriceEntry['kind'];
  /** `$2.99/h`, `$0.15 in, $0.60 out per M tokens`. */
  price: string;
  source: string;
  url: string | null;
  date: string;
  /** Whole months since `date` (null when the date is unspecified). */
  ageMonths: number | null;
  /** Older than `STALE_PRICE_MONTHS`. */
  stale: boolean;
}

/** The entries `keys` name (price-table keys, in first-seen order, unknown ones skipped) with their age at `asOf`. */
export function pricesInUse(table: Readonly<PriceTable>, keys: readonly string[], asOf: Date): PriceInUse[] {
  const out: PriceInUse[] = [];
  for (const key of new Set(keys)) {
    const e = table[key];
    if (!e) continue;
    const ageMonths = priceAgeMonths(e.date, asOf);
    const usd = (v: number): string => `$${Number(v.toPrecision(4))}`;
    const price = e.kind === 'device' ? `${usd(e.usdPerHour)}/h` : `${usd(e.inputUsdPerMTokens)} in, ${usd(e.outputUsdPerMTokens)} out per M tokens${e.trainingUsdPerMTokens !== undefined ? `, ${usd(e.trainingUsdPerMTokens)} per M training tokens` : ''}`;
    out.push({ key, kind: e.kind, price, source: e.source, url: e.url ?? null, date: e.date, ageMonths, stale: ageMonths !== null && ageMonths > STALE_PRICE_MONTHS });
  }
  return out;
}
