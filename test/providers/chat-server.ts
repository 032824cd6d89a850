/**
 * A real OpenAI-compatible chat-completions server for tests (node:http on 127.0.0.1, port 0):
 * `POST /v1/chat/completions` answers `echo:<last user message>#<request number>` with usage, after
 * `delayMs`. `reply(n, body)` can inject a fault for the n-th request (1-based, in arrival order).
 * It records every request's body and headers, the request count and the most requests in flight at once.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What to do with one request; `undefined` from `reply` means the normal answer. */
export type Action =
  | { status: number; headers?: Record<string, string>; json?: unknown; text?: string; contentType?: string }
  | { hang: true }
  | { stallBody: true };

export interface ChatBodySeen {
  model: string;
  messages: { role: string; content: string }[];
  [k: string]: unknown;
}

export interface ChatServerOptions {
  /** Milliseconds before each answer. Default 0. */
  delayMs?: number;
  /** Leave `usage` out of answers. */
  noUsage?: boolean;
  reply?: (n: number, body: ChatBodySeen) => Action | undefined;
}

export interface ChatServer {
  /** `http://127.0.0.1:<port>/v1` */
  baseURL: string;
  count: number;
  inFlight: number;
  maxInFlight: number;
  requests: { body: ChatBodySeen; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

export async function startChatServer(opts: ChatServerOptions = {}): Promise<ChatServer> {
  const state = { count: 0, inFlight: 0, maxInFlight: 0, requests: [] as ChatServer['requests'] };
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no route ${req.url}` } }));
      return;
    }
    const n = ++state.count;
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    res.on('close', () => state.inFlight--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatBodySeen;
      state.requests.push({ body, headers: req.headers });
      setTimeout(() => answer(n, body, res), opts.delayMs ?? 0);
    });
  });

  function answer(n: number, body: ChatBodySeen, res: ServerResponse): void {
    const action = opts.reply?.(n, body);
    if (action && 'hang' in action) return; // never answers; the client's abort closes the socket
    if (action && 'stallBody' in action) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":"x","choices":[');
      return;
    }
    if (action) {
      const payload = action.text ?? JSON.stringify(action.json ?? {});
      res.writeHead(action.status, { 'content-type': action.contentType ?? 'application/json', ...action.headers }).end(payload);
      return;
    }
    const last = [...body.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const content = `echo:${last}#${n}`;
    const promptChars = body.messages.reduce((s, m) => s + m.content.length, 0);
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: `chatcmpl-${n}`,
        object: 'chat.completion',
        created: 0,
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        ...(opts.noUsage ? {} : { usage: { prompt_tokens: promptChars, completion_tokens: content.length, total_tokens: promptChars + content.length } }),
      }),
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    get count() {
      return state.count;
    },
    get inFlight() {
      return state.inFlight;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    requests: state.requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
