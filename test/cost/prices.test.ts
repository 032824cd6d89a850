import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PRICES, apiPrice, applyPriceOverrides, devicePrice, knownNames, priceAgeMonths, priceSourceLabel, pricesInUse, resolvePrices } from '../../src/cost/prices.js';
import { UnknownNameError, UserInputError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'fte-prices-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('built-in price table', () => {
  it('has every device and API model the issue asks for, each with a source and date', () => {
    for (const k of ['H200', 'H100', 'A100-80GB', 'A100-40GB', 'L40S', 'L4', 'T4', 'cpu-core']) expect(BUILTIN_PRICES[k]?.kind).toBe('device');
    for (const k of ['gpt-4o-mini', 'gpt-4o', 'claude-3-5-haiku', 'claude-3-5-sonnet', 'gemini-1.5-flash']) expect(BUILTIN_PRICES[k]?.kind).toBe('api');
    for (const [k, e] of Object.entries(BUILTIN_PRICES)) {
      expect(e.source.length, k).toBeGreaterThan(10);
      expect(e.date, k).toMatch(/^\d{4}-\d{2}/);
      if (e.kind === 'device') expect(e.peakFlops, k).toBeGreaterThan(0);
    }
  });
});

describe('lookup', () => {
  it.each([
    ['H100', 'H100'],
    ['h100', 'H100'],
    ['A100 80GB', 'A100-80GB'],
    ['a100_40gb', 'A100-40GB'],
    ['CPU-core', 'cpu-core'],
  ])('device %s -> %s', (name, key) => expect(devicePrice(BUILTIN_PRICES, name).key).toBe(key));

  it('unknown device lists the known ones', () => {
    expect(() => devicePrice(BUILTIN_PRICES, 'V100')).toThrow(UnknownNameError);
    expect(() => devicePrice(BUILTIN_PRICES, 'V100')).toThrow(/unknown device 'V100'; known: H200, H100, A100-80GB, A100-40GB, L40S, L4, T4, cpu-core/);
  });
  it('unknown API model lists the known ones; a device is not a model', () => {
    expect(() => apiPrice(BUILTIN_PRICES, 'gpt-5')).toThrow(/unknown API model 'gpt-5'; known: gpt-4o-mini, gpt-4o/);
    expect(() => apiPrice(BUILTIN_PRICES, 'H100')).toThrow(UnknownNameError);
  });
  it('source label is "source (date)"', () => {
    expect(priceSourceLabel({ source: 'X page', date: '2025-01' })).toBe('X page (2025-01)');
  });
});

describe('overrides', () => {
  it('a partial override changes only the given field and names itself as the source', () => {
    const t = resolvePrices({ H100: { usdPerHour: 2 } });
    const h = devicePrice(t, 'H100');
    expect(h.usdPerHour).toBe(2);
    expect(h.peakFlops).toBe(989e12);
    expect(h.source).toBe('override from spec cost.prices');
    // the built-in table is untouched
    expect((BUILTIN_PRICES.H100 as { usdPerHour: number }).usdPerHour).toBe(2.99);
  });
  it('an override with its own source and date keeps them', () => {
    const t = resolvePrices({ 'gpt-4o-mini': { inputUsdPerMTokens: 0.1, source: 'our contract', date: '2026-10' } });
    const m = apiPrice(t, 'gpt-4o-mini');
    expect(m).toMatchObject({ inputUsdPerMTokens: 0.1, outputUsdPerMTokens: 0.6, source: 'our contract', date: '2026-10' });
  });
  it('the prices file wins over the spec (JSON and YAML)', () => {
    const json = file('p.json', JSON.stringify({ H100: { usdPerHour: 1.5 } }));
    expect(devicePrice(resolvePrices({ H100: { usdPerHour: 2 } }, json), 'H100')).toMatchObject({ usdPerHour: 1.5, source: `override from ${json}` });
    const yaml = file('p.yaml', 'L4:\n  usdPerHour: 0.5\n  source: reserved L4\n');
    expect(devicePrice(resolvePrices({}, yaml), 'L4')).toMatchObject({ usdPerHour: 0.5, source: 'reserved L4' });
  });
  it('adds a complete new device or model', () => {
    const t = resolvePrices({ V100: { usdPerHour: 0.9, peakFlops: 125e12 }, 'my-llm': { inputUsdPerMTokens: 1, outputUsdPerMTokens: 2 } });
    expect(devicePrice(t, 'V100').usdPerHour).toBe(0.9);
    expect(apiPrice(t, 'my-llm').outputUsdPerMTokens).toBe(2);
    expect(knownNames(t, 'device')).toContain('V100');
  });
  it.each([
    [{ V100: { usdPerHour: 0.9 } }, UserInputError, /prices\.V100: a new device needs usdPerHour and peakFlops/],
    [{ 'my-llm': { inputUsdPerMTokens: 1 } }, UserInputError, /prices\.my-llm: a new API model needs/],
    [{ H100: { usdPerHour: 1, inputUsdPerMTokens: 1 } }, UserInputError, /mixes device fields/],
    [{ H100: { inputUsdPerMTokens: 1 } }, UserInputError, /prices\.H100: is a device/],
    [{ H100: { usdPerHour: -1 } }, UserInputError, /spec cost\.prices: prices\.H100\.usdPerHour/],
    [{ H100: { usd_per_hour: 1 } }, UserInputError, /prices\.H100/],
    [{ V100: { source: 'x' } }, UnknownNameError, /unknown price key 'V100'/],
  ])('rejects %j', (o, cls, msg) => {
    expect(() => applyPriceOverrides(BUILTIN_PRICES, o, 'spec cost.prices')).toThrow(cls);
    expect(() => applyPriceOverrides(BUILTIN_PRICES, o, 'spec cost.prices')).toThrow(msg);
  });
  it('a missing or malformed prices file is one clear line naming the file', () => {
    expect(() => resolvePrices({}, join(dir, 'nope.json'))).toThrow(/nope\.json: cannot read prices file \(ENOENT\)/);
    expect(() => resolvePrices({}, file('bad.json', '{'))).toThrow(/bad\.json: not valid JSON/);
    expect(() => resolvePrices({}, file('arr.json', '[1]'))).toThrow(/arr\.json: expected a map/);
  });
});

describe('price age', () => {
  it.each([
    ['2025-01', '2026-12-02', 23],
    ['2025-01', '2026-01-01', 12],
    ['2025-01-15', '2026-01-14', 11],
    ['2025-01-15', '2026-01-15', 12],
    ['2026-12', '2026-12-02', 0],
    ['unspecified', '2026-12-02', null],
  ])('%s at %s: %s months', (date, asOf, want) => expect(priceAgeMonths(date, new Date(`${asOf}T12:00:00Z`))).toBe(want));
  it('prices in use: figure, source, address, stale past 12 months', () => {
    const [l4, mini] = pricesInUse(BUILTIN_PRICES, ['L4', 'gpt-4o-mini', 'L4', 'nope'], new Date('2026-01-20T00:00:00Z'));
    expect(l4).toMatchObject({ key: 'L4', kind: 'device', price: '$0.8048/h', date: '2025-01', ageMonths: 12, stale: false, url: 'https://aws.amazon.com/ec2/pricing/on-demand/' });
    expect(mini).toMatchObject({ price: '$0.15 in, $0.6 out per M tokens', url: 'https://openai.com/api/pricing/' });
    expect(pricesInUse(BUILTIN_PRICES, ['L4'], new Date('2026-02-01T00:00:00Z'))[0]!.stale).toBe(true);
  });
  it('every built-in entry has an address; an override of a figure drops it unless it gives its own', () => {
    for (const [k, e] of Object.entries(BUILTIN_PRICES)) expect(e.url, k).toMatch(/^https:\/\//);
    const t = applyPriceOverrides(BUILTIN_PRICES, { L4: { usdPerHour: 0.7 }, T4: { usdPerHour: 0.4, url: 'https://example.test/t4', date: '2026-11' } }, 'f.json');
    expect(t.L4!.url).toBeUndefined();
    expect(t.T4).toMatchObject({ url: 'https://example.test/t4', date: '2026-11', source: 'override from f.json' });
    expect(applyPriceOverrides(BUILTIN_PRICES, { V100: { usdPerHour: 0.9, peakFlops: 1.25e14, memoryGb: 32 } }, 'f').V100).toMatchObject({ memoryGb: 32 });
  });
});
