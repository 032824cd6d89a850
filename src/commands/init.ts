import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { initProject, type InitResult } from '../experiment/init.js';

export default class Init extends BaseCommand {
  static override summary = 'Scaffold a project: experiments/ with a sample spec, and .gitignore lines for .fte/ and reports/.';
  static override description = `The sample spec (experiments/first-sweep.ts) names fte's built-in model and suite by name
(fte-tiny-base, email-triage), so it runs from any folder. An existing spec is never overwritten
without --force; an existing .gitignore only gains the lines it lacks.`;
  static override examples = ['<%= config.bin %> init', '<%= config.bin %> init my-project'];
  static override args = { dir: Args.string({ description: 'folder to scaffold (created if missing)', default: '.' }) };
  static override flags = { force: Flags.boolean({ description: 'replace an existing sample spec' }) };

  async run(): Promise<InitResult> {
    const { args, flags } = await this.parse(Init);
    const result = initProject(args.dir, { force: flags.force });
    if (!this.jsonEnabled()) {
      for (const f of result.files) this.log(`${f.action.padEnd(9)} ${f.path}`);
      this.log(`next:\n${result.next.map((c) => `  ${c}`).join('\n')}`);
    }
    return result;
  }
}
