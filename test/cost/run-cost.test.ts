import { describe, expect, it } from 'vitest';
import { costOfRun, deviceLabel, measuredDevice, parseDeviceLabel } from '../../src/cost/run-cost.js';
import { meanTokens, requestCost, requestCostRows } from '../../src/cost/inference.js';
import { resolvePrices, BUILTIN_PRICES } from '../../src/cost/prices.js';
import { costSpec, validateCostNames } from '../../src/cost/spec.js';
import { UnknownNameError, UserInputError } from '../../src/errors.js';

const prices = resolvePrices();

describe('measured device', () => {
  it.each([
    [{ device: 'NVIDIA H200', backend: 'tensorflow' }, {}, 'H200', 1],
    [{ device: 'NVIDIA A100-SXM4-40GB', backend: 'tensorflow' }, {}, 'A100-40GB', 1],
    [{ device: 'NVIDIA A100-SXM4-80GB', backend: 'tensorflow' }, { deviceCount: 4 }, 'A100-80GB', 4],
    [{ device: 'NVIDIA L4', backend: 'tensorflow' }, {}, 'L4', 1],
    [{ device: 'Tesla T4', backend: 'tensorflow' }, {}, 'T4', 1],
    [{ device: 'cpu', backend: 'cpu' }, {}, 'cpu-core', 1],
    [{ device: 'wasm (simd)', backend: 'wasm' }, {}, 'cpu-core', 1],
    [{ device: 'cpu', backend: 'cpu' }, { deviceCount: 2 }, 'cpu-core', 2],
    [{ device: 'whatever', backend: 'cpu' }, { device: 'L40S', deviceCount: 2 }, 'L40S', 2],
  ])('%j with %j -> %s x%d', (train, cost, key, count) => expect(measuredDevice(train, cost, prices)).toEqual({ key, count }));
  it('an unknown GPU asks for cost.device', () => {
    expect(() => measuredDevice({ device: 'NVIDIA V100', backend: 'tensorflow' }, {}, prices)).toThrow(UserInputError);
    expect(() => measuredDevice({ device: 'NVIDIA V100', backend: 'tensorflow' }, {}, prices)).toThrow(/set cost\.device in the spec to one of: H200, H100/);
  });
  it('labels round-trip', () => {
    expect(deviceLabel('cpu-core', 1)).toBe('cpu-core');
    expect(deviceLabel('H100', 8)).toBe('H100 x8');
    expect(parseDeviceLabel('H100 x8')).toEqual({ key: 'H100', count: 8 });
    expect(parseDeviceLabel('A100-80GB')).toEqual({ key: 'A100-80GB', count: 1 });
  });
});

describe('costOfRun', () => {
  const train = { wallSeconds: 3600, tokensTrained: 1e6, trainableParams: 1e6, totalParams: 1e8, device: 'cpu', backend: 'cpu' };
  it('measured train/eval rows, target-device rows from FLOPs, all naming their price source', () => {
    const rows = costOfRun({ method: 'lora', train, eval: { wallSeconds: 1800, tokens: 2e5 }, cost: costSpec({ targetDevice: 'A100-80GB' }), prices });
    const by = Object.fromEntries(rows.map((r) => [r.component, r]));
    expect(Object.keys(by)).toEqual(['train', 'train_target_device', 'eval', 'eval_target_device']);
    expect(by.train).toMatchObject({ device: 'cpu-core', hours: 1, tokens: 1e6, usd: 0.044625, flops: 4.02e14 });
    expect(by.eval).toMatchObject({ device: 'cpu-core', hours: 0.5, tokens: 2e5, flops: 4e13 });
    expect(by.eval!.usd).toBeCloseTo(0.0223125, 12);
    // 4.02e14 FLOP / (312e12 FLOP/s x 0.3) = 4.29487 s
    expect(by.train_target_device!.device).toBe('A100-80GB');
    expect(by.train_target_device!.hours).toBeCloseTo(4.02e14 / (312e12 * 0.3) / 3600, 15);
    expect(by.train_target_device!.usd).toBeCloseTo((4.02e14 / (312e12 * 0.3) / 3600) * 1.79, 15);
    expect(by.eval_target_device!.hours).toBeCloseTo(4e13 / (312e12 * 0.3) / 3600, 15);
    for (const r of rows) {
      expect(r.priceSource, r.component).toMatch(/\(2025-01\)/);
      expect(r.priceSource.length).toBeGreaterThan(20);
    }
    expect(by.train!.priceSource).toBe('AWS EC2 on-demand price list, us-east-1, Linux, c7i.large (2 vCPU) at 0.08925 USD/h, per vCPU (2025-01)');
    expect(by.train_target_device!.priceSource).toMatch(/Lambda .* \(2025-01\); time = FLOPs \/ \(3\.120e\+14 FLOP\/s x MFU 0\.3 x 1\)/);
  });
  it('device count multiplies the price; target device count divides the time', () => {
    const rows = costOfRun({ method: 'full', train, cost: costSpec({ targetDevice: 'H100', targetDeviceCount: 8, trainingMfu: 0.5 }), prices, deviceCount: 2 });
    const [t, tt] = rows;
    expect(t).toMatchObject({ device: 'cpu-core x2', hours: 1, usd: 2 * 0.044625, flops: 6e14 });
    const hours = 6e14 / (989e12 * 0.5 * 8) / 3600;
    expect(tt).toMatchObject({ device: 'H100 x8' });
    expect(tt!.hours).toBeCloseTo(hours, 15);
    expect(tt!.usd).toBeCloseTo(hours * 8 * 2.99, 15);
  });
  it('a spec price override shows in the rows and their source', () => {
    const p = resolvePrices({ 'cpu-core': { usdPerHour: 0.1, source: 'our on-prem rate', date: '2026-11' } });
    const [t] = costOfRun({ method: 'lora', train, cost: costSpec(), prices: p });
    expect(t).toMatchObject({ usd: 0.1, priceSource: 'our on-prem rate (2026-11)' });
  });
  it('hosted fine-tuning adds the hosted training price', () => {
    const rows = costOfRun({ method: 'lora', train, cost: costSpec({ hostedFinetunedModel: 'gpt-4o-mini-ft' }), prices });
    expect(rows.find((r) => r.component === 'train_hosted')).toMatchObject({ device: 'gpt-4o-mini-ft', tokens: 1e6, usd: 3 });
  });
  it('per-request rows for each subject with usage', () => {
    const rows = costOfRun({
      method: 'lora',
      train,
      cost: costSpec({ servingDevice: 'L4', servingThroughputTokensPerSecond: 1000, apiModel: 'gpt-4o-mini', systemPromptTokens: 100 }),
      prices,
      usage: {
        finetuned: { examples: 10, promptTokens: 500, completionTokens: 100 },
        prompting: { examples: 10, promptTokens: 5000, completionTokens: 100 },
      },
    });
    const by = Object.fromEntries(rows.map((r) => [r.component, r]));
    // fine-tuned: 50 + 10 tokens at 1000 tokens/s on an L4 at 0.8048 USD/h
    expect(by.inference_input_per_request_finetuned).toMatchObject({ device: 'L4', tokens: 50 });
    expect(by.inference_input_per_request_finetuned!.usd).toBeCloseTo((50 / 1000 / 3600) * 0.8048, 15);
    expect(by.inference_output_per_request_finetuned!.usd).toBeCloseTo((10 / 1000 / 3600) * 0.8048, 15);
    expect(by.inference_input_per_request_finetuned!.hours).toBeCloseTo(50 / 1000 / 3600, 15);
    // prompting: (500 + 100 system) x 0.15 + 10 x 0.60 per million
    expect(by.inference_input_per_request_prompting).toMatchObject({ device: 'gpt-4o-mini', tokens: 500, hours: 0 });
    expect(by.inference_input_per_request_prompting!.usd).toBeCloseTo((600 * 0.15) / 1e6, 15);
    expect(by.inference_output_per_request_prompting!.usd).toBeCloseTo((10 * 0.6) / 1e6, 15);
    expect(by.inference_input_per_request_prompting!.priceSource).toBe('OpenAI API pricing page (standard tier) (2025-01)');
  });
  it('eval work summed from the usage (the eval stage\'s SubjectUsage) and prices defaulting to the spec\'s', () => {
    const rows = costOfRun({
      method: 'lora',
      totalParams: 1e8,
      cost: costSpec({ prices: { 'cpu-core': { usdPerHour: 0.36 } } }),
      usage: {
        base: { examples: 4, promptTokens: 100, completionTokens: 20, wallSeconds: 10 },
        rag: { examples: 4, promptTokens: 900, completionTokens: 20, wallSeconds: 30, evalPromptTokens: 2700, evalCompletionTokens: 60 },
      },
    });
    const ev = rows.find((r) => r.component === 'eval')!;
    // base: 100 + 20 (no eval totals given); rag: everything processed, 2700 + 60
    expect(ev).toMatchObject({ device: 'cpu-core', tokens: 2880, flops: 2 * 1e8 * 2880, priceSource: 'override from spec cost.prices (unspecified)' });
    expect(ev.hours).toBeCloseTo(40 / 3600, 15);
    expect(ev.usd).toBeCloseTo((40 / 3600) * 0.36, 15);
    expect(rows.map((r) => r.component)).toEqual([
      'eval', 'eval_target_device',
      'inference_input_per_request_base', 'inference_output_per_request_base',
      'inference_input_per_request_rag', 'inference_output_per_request_rag',
    ]);
  });
  it('rejects negative measurements', () => {
    expect(() => costOfRun({ method: 'lora', train: { ...train, wallSeconds: -1 }, cost: costSpec(), prices })).toThrow(RangeError);
  });
});

describe('request cost', () => {
  it('self-hosted throughput from FLOPs when none is given: peak x MFU / 2N', () => {
    const rc = requestCost('finetuned', { inputTokens: 40, outputTokens: 8 }, costSpec({ servingDevice: 'L4', servingMfu: 0.1 }), prices, 1e8);
    expect(rc.tokensPerSecond).toBeCloseTo(60_500, 6);
    expect(rc.usd).toBeCloseTo((48 / 60_500 / 3600) * 0.8048, 15);
    expect(rc.pricing).toBe('self-hosted');
  });
  it('hosted fine-tuned price', () => {
    const rc = requestCost('finetuned', { inputTokens: 40, outputTokens: 8 }, costSpec({ hostedFinetunedModel: 'gpt-4o-mini-ft', systemPromptTokens: 100 }), prices, 1e8);
    expect(rc.usd).toBeCloseTo((40 * 0.3 + 8 * 1.2) / 1e6, 15); // no system prompt for the fine-tuned model
  });
  it('rows keep measured tokens and split input/output', () => {
    const rows = requestCostRows(requestCost('rag', { inputTokens: 300, outputTokens: 9 }, costSpec({ apiModel: 'claude-3-5-haiku' }), prices, 1));
    expect(rows.map((r) => [r.component, r.tokens, r.usd])).toEqual([
      ['inference_input_per_request_rag', 300, (300 * 0.8) / 1e6],
      ['inference_output_per_request_rag', 9, (9 * 4) / 1e6],
    ]);
  });
  it('mean tokens', () => {
    expect(meanTokens({ examples: 4, promptTokens: 100, completionTokens: 20 })).toEqual({ inputTokens: 25, outputTokens: 5 });
    expect(() => meanTokens({ examples: 0, promptTokens: 1, completionTokens: 1 })).toThrow(RangeError);
  });
});

describe('validateCostNames', () => {
  it('accepts the defaults', () => expect(() => validateCostNames(costSpec(), BUILTIN_PRICES)).not.toThrow());
  it.each([
    [{ targetDevice: 'V100' }, /unknown device 'V100'/],
    [{ apiModel: 'gpt-5' }, /unknown API model 'gpt-5'/],
    [{ servingDevice: 'TPUv5' }, /unknown device 'TPUv5'/],
    [{ hostedFinetunedModel: 'gpt-4o' }, /'gpt-4o' has no trainingUsdPerMTokens/],
  ])('%j', (c, msg) => expect(() => validateCostNames(costSpec(c), BUILTIN_PRICES)).toThrow(msg));
  it('unknown names are UnknownNameError', () => expect(() => validateCostNames(costSpec({ targetDevice: 'V100' }), BUILTIN_PRICES)).toThrow(UnknownNameError));
});

describe('measured serving throughput', () => {
  const train = { wallSeconds: 100, tokensTrained: 1000, trainableParams: 10, totalParams: 2e6, device: 'cpu', backend: 'cpu' };
  it('a model served on the device the evaluation ran on is priced at the measured tokens/s', () => {
    const rows = costOfRun({
      method: 'lora',
      train,
      cost: costSpec({ servingDevice: 'cpu-core' }),
      usage: { finetuned: { examples: 10, promptTokens: 3000, completionTokens: 50, wallSeconds: 6, evalPromptTokens: 9000, evalCompletionTokens: 150 } },
    });
    const inp = rows.find((r) => r.component === 'inference_input_per_request_finetuned')!;
    // 9150 tokens / 6 s / 1 core = 1525 tokens/s; 300 tokens per request
    expect(inp.usd).toBeCloseTo((300 / 1525 / 3600) * 0.044625, 15);
    expect(inp.priceSource).toMatch(/; 1525 tokens\/s \(measured by the evaluation on cpu-core\)$/);
  });
  it('without per-subject totals, the run\'s whole evaluation gives the throughput', () => {
    const rows = costOfRun({
      method: 'lora',
      train,
      cost: costSpec({ servingDevice: 'cpu-core' }),
      eval: { wallSeconds: 10, tokens: 20_000 },
      usage: { finetuned: { examples: 10, promptTokens: 3000, completionTokens: 50, wallSeconds: 10 } },
    });
    expect(rows.find((r) => r.component === 'inference_input_per_request_finetuned')!.priceSource).toMatch(/; 2000 tokens\/s \(measured/);
  });
  it('another serving device falls back to FLOPs', () => {
    const rows = costOfRun({
      method: 'lora',
      train,
      cost: costSpec({ servingDevice: 'L4' }),
      usage: { finetuned: { examples: 10, promptTokens: 3000, completionTokens: 50, wallSeconds: 6 } },
    });
    const inp = rows.find((r) => r.component === 'inference_input_per_request_finetuned')!;
    const tps = (121e12 * 0.1) / (2 * 2e6);
    expect(inp.usd).toBeCloseTo((300 / tps / 3600) * 0.8048, 15);
    expect(inp.priceSource).toMatch(/tokens\/s \(peak 1\.210e\+14 FLOP\/s x MFU 0\.1 \/ \(2 x 2000000 params\)\)$/);
  });
});
