/**
 * The plumbing of the messenger fakes: a loopback HTTP server that records every request and
 * lets a test queue canned answers (failures) ahead of the fake's own behaviour.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface Recorded {
  readonly method: string;
  /** Path without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The body as JSON, when it is. */
  readonly json: any;
  /** What the fake answered (set once it has). */
  answer?: { status: number; body: string };
}

export interface Canned {
  readonly status: number;
  /** A JSON body (strings are sent as they are). */
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  body: string | Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface FakeServer {
  readonly url: string;
  readonly requests: Recorded[];
  /** Answers the next matching requests with these, in order, before the fake's own behaviour. */
  failNext(pathPart: string, ...answers: Canned[]): void;
  /** Waits until a condition on the recorded requests holds. */
  waitFor(predicate: (requests: Recorded[]) => boolean, what?: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeServer(handle: (request: Recorded, url: string) => Answer | Promise<Answer>): Promise<FakeServer> {
  const requests: Recorded[] = [];
  const queued: { pathPart: string; answer: Canned }[] = [];
  let base = '';
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', base);
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const recorded: Recorded = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body,
        json,
      };
      requests.push(recorded);
      const at = queued.findIndex((q) => recorded.path.includes(q.pathPart));
      let answer: Answer;
      if (at >= 0) {
        const canned = queued.splice(at, 1)[0]!.answer;
        answer = {
          status: canned.status,
          body: typeof canned.body === 'string' ? canned.body : JSON.stringify(canned.body),
          ...(canned.headers ? { headers: canned.headers } : {}),
        };
      } else {
        try {
          answer = await handle(recorded, base);
        } catch (error) {
          answer = { status: 500, body: String(error) };
        }
      }
      recorded.answer = { status: answer.status, body: typeof answer.body === 'string' ? answer.body : `<${answer.body.byteLength} bytes>` };
      res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json', ...answer.headers });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  base = `http://127.0.0.1:${address.port}`;
  return {
    url: base,
    requests,
    failNext(pathPart, ...answers) {
      for (const answer of answers) queued.push({ pathPart, answer });
    },
    async waitFor(predicate, what = 'requests', timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(requests)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${requests.length} recorded`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const json = (status: number, body: unknown): Answer => ({ status, body: JSON.stringify(body) });
