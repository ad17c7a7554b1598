/**
 * API Gateway's side of the live WebSocket API, played on loopback for the AWS handlers' tests:
 * the management API (`POST|DELETE /live/@connections/{id}`), answered by the test, and the JWKS
 * of the test host's key (the live authorizer verifies tokens against it). Sets the environment
 * the handlers read (issuer, audience, the management endpoint, dummy AWS credentials).
 */
import { createServer } from 'node:http';
import { LOCAL_AUDIENCE } from '../../infra/local/jwt.ts';
import type { TestHost } from './host.ts';

export interface ManagementCall {
  method: string;
  /** The connection id. */
  id: string;
  body: string;
}
export interface ManagementAnswer {
  status: number;
  /** `x-amzn-errortype`, for an error the SDK must recognise (GoneException, AccessDeniedException…). */
  errorType?: string;
  body?: string;
}

export interface ManagementApi {
  /** `http://127.0.0.1:<port>`: the issuer, and the domain of the WebSocket events. */
  base: string;
  close(): Promise<void>;
}

export async function startManagementApi(host: TestHost, answer: (call: ManagementCall) => ManagementAnswer): Promise<ManagementApi> {
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ keys: [{ ...host.key.publicJwk, alg: 'ES256', use: 'sig' }] }));
    }
    const match = /^\/live\/@connections\/([^/?]+)/.exec(req.url ?? '');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = match
        ? answer({ method: req.method ?? '', id: decodeURIComponent(match[1]!), body: Buffer.concat(chunks).toString() })
        : { status: 404, body: '{"message":"Not found"}' };
      res.writeHead(reply.status, { 'content-type': 'application/json', ...(reply.errorType ? { 'x-amzn-errortype': reply.errorType } : {}) });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  process.env.JWT_ISSUER = base;
  process.env.JWT_AUDIENCE = LOCAL_AUDIENCE;
  process.env.LIVE_ENDPOINT = `${base}/live`;
  return {
    base,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
