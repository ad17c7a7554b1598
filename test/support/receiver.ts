/**
 * A webhook receiver on loopback for tests: records every request, verifies its Standard
 * Webhooks signature with the `standardwebhooks` package (an implementation independent of
 * chatlines' own), and answers with a status the test controls.
 */
import { createServer, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  headers: Record<string, string>;
  body: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  event: any;
  verified: boolean;
  status: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Requests answered 2xx, de-duplicated by `webhook-id`, in arrival order. */
  delivered(): Received[];
  /** The status to answer with (default 200), or a function of the request count. */
  answer: number | ((n: number) => number);
  secret: string | undefined;
  /** How long the receiver takes to answer (ms; default 0). */
  delayMs: number;
  /** Requests answered so far. */
  answered: number;
  close(): Promise<void>;
  /** Waits until `predicate` holds over the received requests. */
  waitFor(predicate: (received: Received[]) => boolean, timeoutMs?: number, what?: string): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const receiver: Receiver = {
    url: '',
    received,
    answer: 200,
    secret: undefined,
    delayMs: 0,
    answered: 0,
    delivered() {
      const seen = new Set<string>();
      return received.filter((r) => {
        if (r.status < 200 || r.status >= 300 || seen.has(r.id)) return false;
        seen.add(r.id);
        return true;
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    async waitFor(predicate, timeoutMs = 10_000, what = 'webhook requests') {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${received.length} received`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      let verified = false;
      if (receiver.secret) {
        try {
          new Webhook(receiver.secret).verify(body, headers);
          verified = true;
        } catch {
          verified = false;
        }
      }
      const status = typeof receiver.answer === 'function' ? receiver.answer(received.length) : receiver.answer;
      let event: unknown;
      try {
        event = JSON.parse(body);
      } catch {
        event = undefined;
      }
      received.push({ id: headers['webhook-id'] ?? '', headers, body, event, verified, status });
      const answer = () => {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status < 300 ? 'ok' : 'not now');
        receiver.answered++;
      };
      if (receiver.delayMs > 0) setTimeout(answer, receiver.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  receiver.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
  return receiver;
}
