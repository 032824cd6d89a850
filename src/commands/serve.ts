import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { UserInputError } from '../errors.js';
import { BACKENDS, checkBackendAvailable } from '../run/backends.js';

export default class Serve extends BaseCommand {
  static override summary = "Serve the store's models over an OpenAI-compatible HTTP API.";
  static override description = `Answers GET /v1/models, POST /v1/chat/completions and POST /v1/completions in OpenAI's
request and response shapes (stream: true gives server-sent events), so any OpenAI client can use
the store's models. Model ids:
  base               the base model of the newest sweep (base:<sweep-id>: each sweep's;
                     listed when the sweeps used different base models)
  <run-id>           every completed run: LoRA/QLoRA adapters swap over one loaded base,
                     full fine-tuning runs load their own weights
  best:<experiment>  the experiment's best completed run (the ranking of fte runs --sort objective)
Answers equal the in-process model's (greedy unless temperature > 0). One request runs at a
time; each is logged on stderr. Once listening it prints one stdout line:
fte serve: listening on http://HOST:PORT/v1. SIGINT or SIGTERM stops it.
The store is read (read-only, or a running sweep's snapshot) at start and again when /v1/models is
asked or a model is unknown; it is never held open.`;
  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --port 0 --api-key secret',
    'OPENAI_BASE_URL=http://127.0.0.1:8000/v1 OPENAI_API_KEY=unused python -c "import openai; print(openai.OpenAI().chat.completions.create(model=\'base\', messages=[{\'role\': \'user\', \'content\': \'Hello\'}]).choices[0].message.content)"',
  ];
  static override enableJsonFlag = false;

  static override flags = {
    port: Flags.integer({ description: 'TCP port (0 = any free port)', default: 8000, min: 0, max: 65535 }),
    host: Flags.string({ description: 'address to listen on', default: '127.0.0.1' }),
    'api-key': Flags.string({ description: 'require Authorization: Bearer <key> on every request', env: 'FTE_SERVE_API_KEY' }),
    'max-tokens-cap': Flags.integer({ description: 'most max_tokens a request may ask for (more: 400)', default: 256, min: 1 }),
    'body-limit': Flags.integer({ description: 'largest request body in bytes (more: 413)', default: 1024 * 1024, min: 1 }),
    backend: Flags.string({ description: 'tensor backend', options: [...BACKENDS], default: 'auto' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve);
    if (flags['api-key'] === '') throw new UserInputError('--api-key: must not be empty');
    checkBackendAvailable(flags.backend);
    const { startServer } = await import('../serve/index.js');
    const server = await startServer({
      db: flags.db,
      host: flags.host,
      port: flags.port,
      ...(flags['api-key'] !== undefined ? { apiKey: flags['api-key'] } : {}),
      maxTokensCap: flags['max-tokens-cap'],
      bodyLimit: flags['body-limit'],
      backend: flags.backend,
    });
    this.log(`fte serve: listening on ${server.url}`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      const on = (s: NodeJS.Signals) => {
        process.off('SIGINT', on);
        process.off('SIGTERM', on);
        resolve(s);
      };
      process.on('SIGINT', on);
      process.on('SIGTERM', on);
    });
    process.stderr.write(`fte serve: ${signal}: stopping\n`);
    await server.close();
  }
}
