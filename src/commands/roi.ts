import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { openStore } from '../store/open.js';
import { renderRoi } from '../cost/render.js';
import { roiForSweep, type RoiReport } from '../report/roi.js';

export default class Roi extends BaseCommand {
  static override summary = "Is fine-tuning worth it? Monthly cost, quality and break-even against prompting and RAG.";
  static override description =
    "Reads a sweep from the store, takes its best variant on the objective metric and the prompting and RAG baselines measured on the same test split, prices each approach per request from the measured token counts (price table: built-in, then the spec's cost.prices, then --prices FILE), amortises training and data preparation over the horizon, and prints quality, cost per request, monthly cost, cost per quality point, the break-even volume and a recommendation.";
  static override examples = [
    '<%= config.bin %> roi',
    '<%= config.bin %> roi --monthly-requests 1000000 --months 24',
    '<%= config.bin %> roi --serving-device cpu-core --api-model claude-3-5-haiku',
    '<%= config.bin %> roi --sweep 20261129-075804-8be9 --prices prices.json --json',
  ];

  static override flags = {
    sweep: Flags.string({ description: "sweep id or 'latest' (default: the latest sweep)" }),
    'monthly-requests': Flags.integer({ description: "requests per month (default: the spec's cost.monthlyRequests)" }),
    months: Flags.integer({ description: "amortisation horizon in months (default: the spec's cost.months)" }),
    prices: Flags.string({ description: 'JSON or YAML file of price overrides: {"H100": {"usdPerHour": 2.5}, "gpt-4o-mini": {"inputUsdPerMTokens": 0.1}}' }),
    'serving-device': Flags.string({ description: "what-if: serve the fine-tuned model on this device (price-table key, e.g. L4, cpu-core) instead of the spec's cost.servingDevice" }),
    'api-model': Flags.string({ description: "what-if: price prompting and RAG as this API model (e.g. claude-3-5-haiku) instead of the spec's cost.apiModel" }),
    metric: Flags.string({ description: "quality metric <slice>/<metric> (default: the sweep's objective)" }),
    amortise: Flags.string({ description: 'training cost amortised: every run of the sweep, or the best run only', options: ['sweep', 'best-run'], default: 'sweep' }),
  };

  async run(): Promise<RoiReport | undefined> {
    const { flags } = await this.parse(Roi);
    const store = await openStore(flags.db, { readOnly: true, onSnapshot: (line) => process.stderr.write(`${line}\n`) });
    try {
      const report = await roiForSweep(store.db, {
        sweepId: flags.sweep,
        monthlyRequests: flags['monthly-requests'],
        months: flags.months,
        pricesFile: flags.prices,
        servingDevice: flags['serving-device'],
        apiModel: flags['api-model'],
        metric: flags.metric,
        amortise: flags.amortise as 'sweep' | 'best-run',
      });
      if (!this.jsonEnabled()) this.log(renderRoi(report));
      return report;
    } finally {
      await store.close();
    }
  }
}
