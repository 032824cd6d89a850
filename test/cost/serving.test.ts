import { describe, expect, it } from 'vitest';
import { BUILTIN_PRICES } from '../../src/cost/prices.js';
import { servingDevice, servingMemoryGb } from '../../src/cost/serving.js';
import { costSpec } from '../../src/cost/spec.js';

const cost = costSpec();

describe('serving device by model size', () => {
  it.each([
    // the built-in 1 M-parameter model and anything up to cost.cpuServingMaxParams: one CPU core
    [1.04e6, 'cpu-core', /1\.04 M-parameter model is served on one CPU core/],
    [1e8, 'cpu-core', /up to cost\.cpuServingMaxParams = 100 M/],
    // 7 B x 2 bytes x 1.2 = 16.8 GB: a T4 (16 GB) is too small; the L4 (24 GB) is the cheapest that holds it
    [7e9, 'L4', /7 B parameters need 16\.8 GB .*the cheapest device that holds them/],
    // 30 B: 72 GB -> the A100-80GB ($1.79/h) beats the H100 ($2.99/h) and H200 ($3.99/h)
    [3e10, 'A100-80GB', /72 GB/],
    // 70 B: 168 GB fits no single device: the one with the most memory, said so
    [7e10, 'H200', /more than any single device holds: priced as one H200 \(141 GB\)/],
  ])('%d parameters -> %s', (params, key, why) => {
    const s = servingDevice(cost, BUILTIN_PRICES, params);
    expect(s).toMatchObject({ key, basis: 'size' });
    expect(s.why).toMatch(why);
  });
  it('memory: params x bytes per param x (1 + overhead)', () => {
    expect(servingMemoryGb(7e9, cost)).toBeCloseTo(16.8, 12);
    expect(servingMemoryGb(7e9, costSpec({ servingBytesPerParam: 0.5, servingMemoryOverhead: 0.5 }))).toBeCloseTo(5.25, 12);
    // 4-bit weights fit the T4
    expect(servingDevice(costSpec({ servingBytesPerParam: 0.5 }), BUILTIN_PRICES, 7e9).key).toBe('T4');
  });
  it('the spec, a what-if, and an unknown size', () => {
    expect(servingDevice(costSpec({ servingDevice: 'h100' }), BUILTIN_PRICES, 1e6)).toMatchObject({ key: 'H100', basis: 'spec' });
    expect(servingDevice(costSpec({ servingDevice: 'H100' }), BUILTIN_PRICES, 1e6, 'L4')).toMatchObject({ key: 'L4', basis: 'what-if' });
    expect(servingDevice(cost, BUILTIN_PRICES, 0)).toMatchObject({ key: 'A100-80GB', basis: 'target' });
    expect(servingDevice(costSpec({ cpuServingMaxParams: 1e10 }), BUILTIN_PRICES, 7e9).key).toBe('cpu-core');
    expect(() => servingDevice(cost, BUILTIN_PRICES, 1e6, 'V100')).toThrow(/unknown device 'V100'/);
  });
});
