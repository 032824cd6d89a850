import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/experiment/load.js';
import { expandSweep } from '../../src/experiment/sweep.js';
import { specFromWandbYaml } from '../../src/experiment/wandb.js';
import { defineExperiment } from '../../src/experiment/define.js';

const dir = mkdtempSync(join(tmpdir(), 'fte-spec-'));
function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('loadSpec', () => {
  it('loads a TypeScript spec with types and a derived parameter, no build step', async () => {
    const p = write('ok.ts', `
      const rank: number[] = [4, 8];
      export default {
        name: 'ok', model: { base: 'm' }, dataset: 'd',
        sweep: { strategy: 'grid', parameters: { rank, alpha: ({ rank }: { rank: number }) => 2 * rank } },
      };`);
    const { spec } = await loadSpec(p);
    expect(expandSweep(spec, { baseModel: 'a', dataset: 'b' }).map((v) => v.params.alpha)).toEqual([8, 16]);
  });

  it('loads .mjs', async () => {
    const p = write('ok.mjs', `export default { name: 'm', model: { base: 'm' }, dataset: 'd' };`);
    expect((await loadSpec(p)).spec.name).toBe('m');
  });

  const bad: Array<[string, string, string, RegExp]> = [
    ['missing file', 'nope.ts', '', /nope\.ts: file not found$/],
    ['no default export', 'nodefault.ts', `export const x = 1;`, /nodefault\.ts: no default export/],
    ['syntax error', 'syntax.ts', `export default {\n  name: 'x',\n  ,,\n}`, /syntax\.ts: cannot load: .*\(line 3, column \d+\)$/],
    ['throws at load', 'throws.ts', `throw new Error('boom'); export default {}`, /throws\.ts: cannot load: boom( \(line 1, column \d+\))?$/],
    ['validation error', 'invalid.ts', `export default { name: 'x', model: { base: 'm' }, dataset: 'd', params: { rank: -4 } }`, /invalid\.ts: params\.rank: expected a positive integer, got -4$/],
    ['typo', 'typo.ts', `export default { name: 'x', model: { base: 'm' }, dataset: 'd', params: { learning_rate: 1 } }`, /typo\.ts: params\.learning_rate: unknown field \(did you mean 'learningRate'\?\)/],
    ['unsupported type', 'spec.txt', 'x', /spec\.txt: unsupported spec type/],
  ];
  it.each(bad)('%s gives one line naming the file', async (_label, name, text, pattern) => {
    const p = text ? write(name, text) : join(dir, name);
    if (name === 'spec.txt') write(name, text);
    const err = await loadSpec(p).then(() => undefined, (e: Error) => e);
    expect(err).toBeDefined();
    expect(err!.message).toMatch(pattern);
    expect(err!.message.split('\n')).toHaveLength(1);
    expect((err as { exitCode?: number }).exitCode).toBe(2);
  });
});

describe('W&B sweep YAML', () => {
  const yaml = `
name: lr-sweep
method: random
run_cap: 5
metric: { name: classify/f1_macro, goal: maximize }
parameters:
  lora_r: { values: [4, 8, 16] }
  lora_alpha: { value: 32 }
  learning_rate: { distribution: log_uniform_values, min: 0.0001, max: 0.01 }
  weight_decay: { distribution: log_uniform, min: -9.2, max: -2.3 }
  num_train_epochs: { values: [1, 2] }
fte:
  model: { base: models/m }
  dataset: evals/d
  method: qlora
`;
  it('maps W&B keys and PEFT/HF names to an fte spec', () => {
    const spec = defineExperiment(specFromWandbYaml(yaml, 'sweep.yaml'));
    expect(spec.name).toBe('lr-sweep');
    expect(spec.method).toBe('qlora');
    expect(spec.sweep.strategy).toBe('random');
    expect(spec.sweep.runCap).toBe(5);
    expect(spec.params.alpha).toBe(32);
    expect(spec.objective).toEqual({ metric: 'classify/f1_macro', goal: 'maximize' });
    expect(Object.keys(spec.sweep.parameters)).toEqual(['rank', 'learningRate', 'weightDecay', 'epochs']);
    const vs = expandSweep(spec, { baseModel: 'a', dataset: 'b' });
    expect(vs).toHaveLength(5);
    for (const v of vs) {
      // W&B's log_uniform takes log bounds: exp(-9.2) .. exp(-2.3)
      expect(v.params.weightDecay).toBeGreaterThanOrEqual(Math.exp(-9.2));
      expect(v.params.weightDecay).toBeLessThanOrEqual(Math.exp(-2.3));
      expect(v.params.alpha).toBe(32);
    }
  });

  it('loads from a file, maps method: bayes, and rejects unknown methods and keys', async () => {
    expect((await loadSpec(write('s.yaml', yaml))).spec.name).toBe('lr-sweep');
    expect((await loadSpec(write('s2.yaml', yaml.replace('method: random', 'method: bayes')))).spec.sweep.strategy).toBe('bayes');
    await expect(loadSpec(write('b.yaml', 'method: hyperopt\nparameters: {}\n'))).rejects.toThrow(/b\.yaml: method: expected grid, random or bayes, got "hyperopt"/);
    await expect(loadSpec(write('u.yaml', 'methd: grid\n'))).rejects.toThrow(/u\.yaml: methd: unknown W&B sweep key \(did you mean 'method'\?\)/);
    await expect(loadSpec(write('i.yaml', 'a: [\n'))).rejects.toThrow(/i\.yaml: invalid YAML/);
    await expect(loadSpec(write('n.yaml', 'method: grid\nparameters: {}\n'))).rejects.toThrow(/n\.yaml: name: missing/);
    await expect(loadSpec(write('m.yaml', 'name: x\nmethod: grid\nparameters: {}\n'))).rejects.toThrow(/m\.yaml: fte\.model: missing: a W&B sweep YAML needs an `fte:` block/);
  });

  it('maps early_terminate (hyperband) to sweep.earlyTerminate', async () => {
    const head = 'name: x\nmethod: random\nrun_cap: 2\nparameters: { lr: { distribution: uniform, min: 0.001, max: 0.01 } }\nfte: { model: { base: models/m }, dataset: evals/d }\n';
    expect((await loadSpec(write('h1.yaml', `${head}early_terminate: { type: hyperband, min_iter: 2, eta: 2 }\n`))).spec.sweep.earlyTerminate).toEqual({ type: 'hyperband', minIter: 2, eta: 2 });
    expect((await loadSpec(write('h2.yaml', `${head}early_terminate: { type: hyperband, max_iter: 27, s: 2 }\n`))).spec.sweep.earlyTerminate).toEqual({ type: 'hyperband', minIter: 3, eta: 3, maxIter: 27 });
  });

  it.each([
    ['program: train.py\n', /\/p\.yaml: program: not supported by fte: fte trains in process/],
    ['command: [python, x]\n', /\/p\.yaml: command: not supported by fte/],
    ['project: p\n', /\/p\.yaml: project: not supported by fte/],
    ['entity: e\n', /\/p\.yaml: entity: not supported by fte/],
    ['early_terminate: { type: envelope }\n', /\/p\.yaml: early_terminate\.type: only hyperband is supported, got "envelope"/],
    ['early_terminate: { type: hyperband, min_iter: 3, strict: true }\n', /\/p\.yaml: early_terminate\.strict: not supported by fte/],
    ['metric: { name: val_loss, goal: minimize, target: 0.1 }\n', /\/p\.yaml: metric\.target: not supported by fte/],
    ['metric: { name: val_loss, gaol: minimize }\n', /\/p\.yaml: metric\.gaol: unknown W&B metric key/],
    ['parameters: { lr: { distribution: normal, mu: 0, sigma: 1 } }\n', /\/p\.yaml: parameters\.lr\.mu: not supported by fte: normal distributions/],
    ['parameters: { lr: { distribution: inv_log_uniform_values, min: 1, max: 2 } }\n', /\/p\.yaml: parameters\.lr\.distribution: "inv_log_uniform_values" is not supported by fte/],
    ['parameters: { rank: { values: [4, 8], probabilities: [0.5, 0.5] } }\n', /\/p\.yaml: parameters\.rank\.probabilities: not supported by fte: weighted/],
    ['parameters: { opt: { parameters: { lr: { value: 1 } } } }\n', /\/p\.yaml: parameters\.opt\.parameters: not supported by fte: nested/],
    ['parameters: { rank: { vaues: [4, 8] } }\n', /\/p\.yaml: parameters\.rank\.vaues: unknown W&B parameter key \(did you mean 'values'\?\)/],
  ])('names the unsupported W&B field in %s', async (extra, message) => {
    await expect(loadSpec(write('p.yaml', `name: x\nmethod: grid\n${extra}fte: { model: { base: models/m }, dataset: evals/d }\n`))).rejects.toThrow(message);
  });
});
