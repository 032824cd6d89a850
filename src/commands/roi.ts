import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { openStore } from '../store/open.js';
import { renderRoi, renderSubjectsCost } from '../cost/render.js';
import { costForSweep, type RoiReport, type SubjectsCostReport } from '../report/roi.js';
import { checkRoiOptions } from '../cost/sweep-roi.js';
import { UserInputError } from '../errors.js';

/** A number flag's value. @throws UserInputError (one line) when it is not a number. */
function fraction(flag: string, raw: string): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) throw new UserInputError(`${flag} must be a number in (0, 1], got '${raw}'`);
  return v;
}

export default class Roi extends BaseCommand {
  static override summary = "Is fine-tuning worth it? The decision, what drives it, and cost, value and break-even against prompting and RAG.";
  static override description =
    "Reads a sweep from the store, takes its best variant on the objective metric and the prompting and RAG baselines measured on the same test split, and prices each approach as what it ran on: a locally evaluated approach as served on the serving device (the spec's cost.servingDevice, else one that fits the model's size), an API-evaluated one at its model's prices on the tokens the API reported. Adds the spec's whole cost (training, retraining, data preparation, labelling, engineering, evaluation and maintenance hours, the RAG index) and, with cost.value, the value of the answers. Prints the decision first, how it can flip inside the quality intervals, its drivers and which input moves the break-even most, then the table (quality with its interval, cost per request and per month, net and payback with value, break-even), the cost inputs with where each comes from, and the prices in use with their source, date and age (a warning past 12 months). Prices: built-in, then the spec's cost.prices, then --prices FILE. --api-model, --serving-device, --serving-mfu and --training-mfu are what-ifs, labelled wherever they show. Prompting and RAG are the subjects of kind prompting and rag (the first in spec order when several share a kind). On an fte eval evaluation (no fine-tuned run) it compares the evaluated subjects (prompting, RAG, extra models such as one fine-tuned elsewhere and served over an API, priced at its API usage) on cost and quality instead, with no training cost (--json: kind 'subjects').";
  static override examples = [
    '<%= config.bin %> roi',
    '<%= config.bin %> roi --monthly-requests 1000000 --months 24',
    '<%= config.bin %> roi --api-model gpt-4o-mini',
    '<%= config.bin %> roi --serving-device L4 --serving-mfu 0.2',
    '<%= config.bin %> roi --sweep 20261129-075804-8be9 --prices prices.json --json',
  ];

  static override flags = {
    sweep: Flags.string({ description: "sweep id or 'latest' (default: the latest sweep)" }),
    'monthly-requests': Flags.integer({ description: "requests per month (default: the spec's cost.monthlyRequests)" }),
    months: Flags.integer({ description: "amortisation horizon in months (default: the spec's cost.months)" }),
    prices: Flags.string({ description: 'JSON or YAML file of price overrides: {"H100": {"usdPerHour": 2.5}, "gpt-4o-mini": {"inputUsdPerMTokens": 0.1}}' }),
    'serving-device': Flags.string({ description: "what-if: serve the self-hosted approaches on this device (price-table key, e.g. L4, cpu-core) instead of the spec's cost.servingDevice or the default by model size" }),
    'api-model': Flags.string({ description: "what-if: price prompting and RAG as calls to this API model (e.g. gpt-4o-mini); a local prompt is counted with OpenAI's o200k_base tokenizer as recorded by the evaluation" }),
    'serving-mfu': Flags.string({ description: "what-if: serving model FLOPs utilisation in (0, 1] instead of the spec's cost.servingMfu (default 0.1)" }),
    'training-mfu': Flags.string({ description: "what-if: training model FLOPs utilisation on the target device in (0, 1] instead of the spec's cost.trainingMfu (default 0.3)" }),
    metric: Flags.string({ description: "quality metric <slice>/<metric> (default: the sweep's objective)" }),
    amortise: Flags.string({ description: 'training cost amortised: every run of the sweep, or the best run only', options: ['sweep', 'best-run'], default: 'sweep' }),
  };

  async run(): Promise<RoiReport | SubjectsCostReport | undefined> {
    const { flags } = await this.parse(Roi);
    const mfu = {
      ...(flags['serving-mfu'] !== undefined ? { servingMfu: fraction('--serving-mfu', flags['serving-mfu']) } : {}),
      ...(flags['training-mfu'] !== undefined ? { trainingMfu: fraction('--training-mfu', flags['training-mfu']) } : {}),
    };
    checkRoiOptions(mfu);
    const store = await openStore(flags.db, { readOnly: true, onSnapshot: (line) => process.stderr.write(`${line}\n`) });
    try {
      const report = await costForSweep(store.db, {
        sweepId: flags.sweep,
        monthlyRequests: flags['monthly-requests'],
        months: flags.months,
        pricesFile: flags.prices,
        servingDevice: flags['serving-device'],
        apiModel: flags['api-model'],
        ...mfu,
        metric: flags.metric,
        amortise: flags.amortise as 'sweep' | 'best-run',
      });
      if (!this.jsonEnabled()) this.log(report.kind === 'subjects' ? renderSubjectsCost(report) : renderRoi(report));
      return report;
    } finally {
      await store.close();
    }
  }
}
