/**
 * The local stand-in for the AWS endpoints the functions call (`AWS_ENDPOINT_URL` points the
 * SDK here). Each call is identified (service and action from `X-Amz-Target`, or the
 * `@connections` path of the WebSocket management API), attributed to the function that made it
 * (its access key id is the function's logical id), authorized against that function's role
 * policies by the IAM simulator, and then:
 * - DynamoDB and DynamoDB Streams: forwarded as they are to DynamoDB Local;
 * - EventBridge PutEvents: matched against the template's rules on the bus, recorded;
 * - Secrets Manager GetSecretValue: answered from the values the harness seeded;
 * - KMS Encrypt / Decrypt / GenerateDataKey: the stand-in key of ./kms.ts (authorized on the
 *   key's ARN: the call's `KeyId`, or for Decrypt the key that made the ciphertext);
 * - S3 (path-style REST, as the SDK speaks it to an endpoint on an IP address): PutObject,
 *   GetObject (ranges), HeadObject, DeleteObject, Get/Put/DeleteObjectTagging, kept in memory.
 *   A pre-signed URL (`X-Amz-Credential` in the query) acts as the function that signed it, with
 *   its role's grants at the time of use, and is refused once `X-Amz-Expires` has passed, as S3
 *   does; the signature itself is not recomputed;
 * - the WebSocket management API: PostToConnection / DeleteConnection / GetConnection handed to
 *   the WebSocket stand-in (410 for a connection that is gone).
 * A denied call gets AWS's AccessDenied answer, so the function fails as it would in AWS.
 * The gateway also serves the stand-in user pool's JWKS (`/idp/<pool>/.well-known/jwks.json`).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { matchesPattern } from './event-pattern.ts';
import type { Authorizer, Decision, PolicyDocument } from './iam.ts';
import { StandInKms } from './kms.ts';
import { closeServer, listenLoopback } from './loopback.ts';
import { ACCOUNT, REGION, type ResolvedTemplate } from './template.ts';

/** Who may sign calls: a function (its logical id as access key id) and its role. */
export interface Principal {
  id: string;
  roleArn: string;
  policies: PolicyDocument[];
}

/** The WebSocket API stand-in's side of the management API. */
export interface ConnectionSink {
  post(apiId: string, stage: string, connectionId: string, data: Buffer): boolean;
  remove(apiId: string, stage: string, connectionId: string): boolean;
  exists(apiId: string, stage: string, connectionId: string): boolean;
}

export interface PublishedEvent {
  principal: string;
  bus: string;
  entry: Record<string, unknown>;
  /** Rules of the bus whose pattern matched the event. */
  rules: string[];
}

/** A message of an emulated SQS queue. */
export interface QueueMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Record<string, unknown>;
  sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** Hidden until then (the visibility timeout after a receive). */
  visibleAt: number;
  sender: string;
}

export interface UnemulatedCall {
  principal: string;
  service: string;
  operation: string;
}

export interface GatewayOptions {
  dynamoEndpoint: string;
  authorizer: Authorizer;
  /** JWKS served for every stand-in issuer. */
  jwks: { keys: object[] };
}

/** An object of the stand-in S3. */
export interface StoredObject {
  bytes: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
  tags: Record<string, string>;
}

type Call = { action: string; resource: string; detail?: string; resourcePolicy?: PolicyDocument };

const json = (res: ServerResponse, status: number, body: unknown, type = 'application/x-amz-json-1.1') => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': randomUUID() });
  res.end(text);
};

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export class Gateway {
  readonly principals = new Map<string, Principal>();
  readonly secrets = new Map<string, string>();
  readonly published: PublishedEvent[] = [];
  /** Emulated SQS queues by ARN (the delivery queue, dead-letter queues…). */
  readonly queues = new Map<string, QueueMessage[]>();
  readonly unemulated: UnemulatedCall[] = [];
  /** Calls per `service:Operation`. */
  readonly operations = new Map<string, number>();
  /** The stand-in S3: objects by `bucket/key`. */
  readonly objects = new Map<string, StoredObject>();
  readonly kms = new StandInKms();
  private keyPolicies: Map<string, PolicyDocument> | undefined;
  template: ResolvedTemplate | undefined;
  connections: ConnectionSink | undefined;
  private server: Server | undefined;
  url = '';

  constructor(private readonly options: GatewayOptions) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.serve(req, res).catch((error: unknown) => {
        if (!res.headersSent) json(res, 500, { __type: 'InternalFailure', message: (error as Error).message });
        else res.destroy();
      });
    });
    // Many functions keep connections open; none must hang the run's end.
    this.server.keepAliveTimeout = 1_000;
    this.url = `http://127.0.0.1:${await listenLoopback(this.server)}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private count(operation: string) {
    this.operations.set(operation, (this.operations.get(operation) ?? 0) + 1);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const body = await readBody(req);
    if (req.method === 'GET' && /^\/idp\/[^/]+\/\.well-known\/jwks\.json$/.test(url.pathname)) {
      return json(res, 200, this.options.jwks, 'application/json');
    }

    // A pre-signed URL carries its credential in the query (`X-Amz-Credential`), a call in `Authorization`.
    const presigned = url.searchParams.get('X-Amz-Credential');
    const credential = /Credential=([^/]+)\/[^/]+\/[^/]+\/([^/]+)\//.exec(presigned ? `Credential=${presigned}` : String(req.headers.authorization ?? ''));
    const principal = credential ? this.principals.get(credential[1]!) : undefined;
    if (!principal) {
      return json(res, 403, { __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' });
    }

    const connection = /^\/@api\/([^/]+)\/([^/]+)\/@connections\/([^/]+)$/.exec(url.pathname);
    if (connection) return this.manageConnection(req, res, principal, connection[1]!, connection[2]!, decodeURIComponent(connection[3]!), body);

    if (credential?.[2] === 's3') return this.s3(req, res, principal, url, body, presigned !== null);

    const target = String(req.headers['x-amz-target'] ?? '');
    const [prefix, operation = ''] = target.split('.');
    const input = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
    switch (prefix) {
      case 'DynamoDB_20120810':
        this.count(`dynamodb:${operation}`);
        if (!(await this.allowed(res, principal, this.dynamoCalls(operation, input), 'dynamodb'))) return;
        return this.forward(req, res, body);
      case 'DynamoDBStreams_20120810':
        this.count(`dynamodb-streams:${operation}`);
        if (!(await this.allowed(res, principal, this.streamCalls(operation, input), 'dynamodb'))) return;
        return this.forward(req, res, body);
      case 'AWSEvents':
        this.count(`events:${operation}`);
        if (operation === 'PutEvents') return this.putEvents(res, principal, input);
        break;
      case 'AmazonSQS':
        this.count(`sqs:${operation}`);
        if (operation === 'SendMessage' || operation === 'SendMessageBatch') return this.sendMessages(res, principal, operation, input);
        if (operation === 'GetQueueUrl')
          return json(res, 200, { QueueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${String(input.QueueName)}` }, 'application/x-amz-json-1.0');
        break;
      case 'TrentService':
        this.count(`kms:${operation}`);
        return this.kmsCall(res, principal, operation, input);
      case 'secretsmanager':
        this.count(`secretsmanager:${operation}`);
        if (operation === 'GetSecretValue') return this.getSecretValue(res, principal, input);
        break;
    }
    this.unemulated.push({ principal: principal.id, service: credential?.[2] ?? '?', operation: target || `${req.method} ${url.pathname}` });
    return json(res, 400, { __type: 'UnknownOperationException', message: `the verification gateway does not emulate ${target || url.pathname}` });
  }

  private tableArn(name: string): string {
    return name.startsWith('arn:') ? name : `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
  }

  private dynamoCalls(operation: string, input: Record<string, unknown>): Call[] {
    const table = (name: unknown, index?: unknown) => `${this.tableArn(String(name))}${index ? `/index/${String(index)}` : ''}`;
    switch (operation) {
      case 'BatchGetItem':
      case 'BatchWriteItem':
        return Object.keys((input.RequestItems as object) ?? {}).map((name) => ({ action: `dynamodb:${operation}`, resource: table(name) }));
      case 'TransactWriteItems':
      case 'TransactGetItems': {
        const kinds: Record<string, string> = {
          Put: 'PutItem',
          Update: 'UpdateItem',
          Delete: 'DeleteItem',
          ConditionCheck: 'ConditionCheckItem',
          Get: 'GetItem',
        };
        return ((input.TransactItems as Record<string, { TableName: string }>[]) ?? []).flatMap((item) =>
          Object.entries(item).map(([kind, op]) => ({ action: `dynamodb:${kinds[kind] ?? kind}`, resource: table(op.TableName), detail: operation })),
        );
      }
      case 'ListTables':
        return [{ action: 'dynamodb:ListTables', resource: '*' }];
      default:
        return [{ action: `dynamodb:${operation}`, resource: table(input.TableName, input.IndexName) }];
    }
  }

  /** DynamoDB Local's stream ARNs name its own region and account: the template's are asked for. */
  private streamArn(local: unknown): string {
    const match = /table\/([^/]+)\/stream\/(.+)$/.exec(String(local ?? ''));
    if (match) return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${match[1]}/stream/${match[2]}`;
    const t = this.template!;
    return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${t.standIns.tableName}/stream/${t.standIns.streamLabel}`;
  }

  private streamCalls(operation: string, input: Record<string, unknown>): Call[] {
    if (operation === 'ListStreams') return [{ action: 'dynamodb:ListStreams', resource: '*' }];
    // A shard iterator is opaque: the harness reads one stream, the table's.
    return [{ action: `dynamodb:${operation}`, resource: this.streamArn(input.StreamArn) }];
  }

  /** Authorizes every call; on a denial answers AccessDenied and returns false. */
  private async allowed(res: ServerResponse, principal: Principal, calls: Call[], service: string): Promise<boolean> {
    const decisions: [Call, Decision][] = [];
    for (const call of calls) {
      decisions.push([
        call,
        await this.options.authorizer.authorize(
          principal.id,
          principal.roleArn,
          principal.policies,
          call.action,
          call.resource,
          call.detail,
          call.resourcePolicy,
        ),
      ]);
    }
    const denied = decisions.find(([, d]) => !d.allowed);
    if (!denied) return true;
    const message = `User: ${principal.roleArn} is not authorized to perform: ${denied[0].action} on resource: ${denied[0].resource} because no identity-based policy allows the ${denied[0].action} action`;
    if (service === 'execute-api') json(res, 403, { message: 'Forbidden' }, 'application/json');
    else if (service === 's3') s3Error(res, 403, 'AccessDenied', message);
    else json(res, 400, { __type: 'com.amazon.coral.service#AccessDeniedException', message });
    return false;
  }

  private async forward(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'x-amz-target', 'authorization', 'x-amz-date', 'x-amz-security-token']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const answer = await fetch(this.options.dynamoEndpoint, { method: 'POST', headers, body: new Uint8Array(body) });
    const bytes = Buffer.from(await answer.arrayBuffer());
    const out: Record<string, string | number> = { 'content-length': bytes.length };
    for (const name of ['content-type', 'x-amz-crc32', 'x-amzn-requestid']) {
      const value = answer.headers.get(name);
      if (value) out[name] = value;
    }
    res.writeHead(answer.status, out);
    res.end(bytes);
  }

  private async putEvents(res: ServerResponse, principal: Principal, input: Record<string, unknown>): Promise<void> {
    const entries = (input.Entries as Record<string, unknown>[]) ?? [];
    const busOf = (e: Record<string, unknown>) => String(e.EventBusName ?? 'default');
    const arnOf = (bus: string) => (bus.startsWith('arn:') ? bus : `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${bus}`);
    const calls = [...new Set(entries.map(busOf))].map((bus) => ({ action: 'events:PutEvents', resource: arnOf(bus) }));
    if (!(await this.allowed(res, principal, calls, 'events'))) return;
    const results = entries.map((entry) => {
      const bus = busOf(entry).split('/').pop()!;
      const event = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: ACCOUNT,
        time: entry.Time ? new Date(Number(entry.Time) * 1000 || String(entry.Time)).toISOString() : new Date().toISOString(),
        region: REGION,
        resources: entry.Resources ?? [],
        detail: JSON.parse(String(entry.Detail ?? '{}')) as unknown,
      };
      const rules = (this.template?.eventRules ?? []).filter((r) => r.busName === bus && matchesPattern(r.pattern, event)).map((r) => r.logicalId);
      this.published.push({ principal: principal.id, bus, entry, rules });
      return { EventId: event.id };
    });
    json(res, 200, { FailedEntryCount: 0, Entries: results });
  }

  /** `https://sqs.<region>.amazonaws.com/<account>/<name>` → the queue's ARN. */
  static queueArnOfUrl(url: string): string {
    const [account, name] = new URL(url).pathname.split('/').filter(Boolean);
    return `arn:aws:sqs:${REGION}:${account}:${name}`;
  }

  /** Puts a message on an emulated queue (SendMessage, a dead-letter move, a mapping's destination). */
  enqueue(queueArn: string, body: string, sender: string, messageAttributes: Record<string, unknown> = {}): QueueMessage {
    const message: QueueMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: createHash('md5').update(body).digest('hex'),
      messageAttributes,
      sentAt: Date.now(),
      receiveCount: 0,
      visibleAt: 0,
      sender,
    };
    const queue = this.queues.get(queueArn) ?? [];
    queue.push(message);
    this.queues.set(queueArn, queue);
    return message;
  }

  private async sendMessages(res: ServerResponse, principal: Principal, operation: string, input: Record<string, unknown>): Promise<void> {
    const arn = Gateway.queueArnOfUrl(String(input.QueueUrl));
    // SendMessageBatch is authorized as sqs:SendMessage.
    if (!(await this.allowed(res, principal, [{ action: 'sqs:SendMessage', resource: arn, detail: operation }], 'sqs'))) return;
    const type = 'application/x-amz-json-1.0';
    if (operation === 'SendMessage') {
      const m = this.enqueue(arn, String(input.MessageBody), principal.id, (input.MessageAttributes as Record<string, unknown>) ?? {});
      return json(res, 200, { MessageId: m.messageId, MD5OfMessageBody: m.md5OfBody }, type);
    }
    const entries = (input.Entries as { Id: string; MessageBody: string; MessageAttributes?: Record<string, unknown> }[]) ?? [];
    const successful = entries.map((e) => {
      const m = this.enqueue(arn, e.MessageBody, principal.id, e.MessageAttributes ?? {});
      return { Id: e.Id, MessageId: m.messageId, MD5OfMessageBody: m.md5OfBody };
    });
    json(res, 200, { Successful: successful, Failed: [] }, type);
  }

  private async getSecretValue(res: ServerResponse, principal: Principal, input: Record<string, unknown>): Promise<void> {
    const id = String(input.SecretId ?? '');
    const arn = [...this.secrets.keys()].find((a) => a === id || a.split(':secret:')[1]?.replace(/-[A-Za-z0-9]{6}$/, '') === id) ?? id;
    if (!(await this.allowed(res, principal, [{ action: 'secretsmanager:GetSecretValue', resource: arn }], 'secretsmanager'))) return;
    const value = this.secrets.get(arn);
    if (value === undefined) return json(res, 400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
    json(res, 200, {
      ARN: arn,
      Name: arn.split(':secret:')[1]!.replace(/-[A-Za-z0-9]{6}$/, ''),
      SecretString: value,
      VersionId: '00000000-0000-0000-0000-000000000001',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: Math.floor(Date.now() / 1000),
    });
  }

  private async kmsCall(res: ServerResponse, principal: Principal, operation: string, input: Record<string, unknown>): Promise<void> {
    const named = input.KeyId === undefined ? undefined : StandInKms.keyArn(input.KeyId, REGION, ACCOUNT);
    // Decrypt without a KeyId is authorized on the key that made the ciphertext, as KMS does.
    const key = named ?? StandInKms.keyOfBlob(input.CiphertextBlob) ?? '*';
    // The key policy counts too (KMS has no access by IAM policies alone); a key the template does not have has none.
    this.keyPolicies ??= this.template?.keyPolicies() ?? new Map();
    const keyPolicy = this.keyPolicies.get(key) ?? { Version: '2012-10-17', Statement: [] };
    if (!(await this.allowed(res, principal, [{ action: `kms:${operation}`, resource: key, resourcePolicy: keyPolicy }], 'kms'))) return;
    const answer = this.kms.answer(operation, input, key);
    json(res, answer.status, answer.body);
  }

  /** The stand-in S3 (path-style: `/<bucket>/<key>`). */
  private async s3(req: IncomingMessage, res: ServerResponse, principal: Principal, url: URL, body: Buffer, presigned: boolean): Promise<void> {
    const method = req.method ?? 'GET';
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = rest.map((part) => decodeURIComponent(part)).join('/');
    const tagging = url.searchParams.has('tagging');
    const operation = tagging
      ? ({ GET: 'GetObjectTagging', PUT: 'PutObjectTagging', DELETE: 'DeleteObjectTagging' } as Record<string, string>)[method]
      : ({ GET: 'GetObject', HEAD: 'HeadObject', PUT: 'PutObject', DELETE: 'DeleteObject' } as Record<string, string>)[method];
    if (!bucket || !key || !operation) {
      this.unemulated.push({ principal: principal.id, service: 's3', operation: `${method} ${url.pathname}${url.search}` });
      return s3Error(res, 501, 'NotImplemented', `the verification gateway does not emulate ${method} ${url.pathname}${url.search}`);
    }
    this.count(`s3:${operation}`);
    if (presigned) {
      const date = url.searchParams.get('X-Amz-Date') ?? '';
      const signedAt = Date.parse(date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
      const expires = Number(url.searchParams.get('X-Amz-Expires'));
      if (!Number.isFinite(signedAt) || !(expires > 0) || Date.now() > signedAt + expires * 1000)
        return s3Error(res, 403, 'AccessDenied', 'Request has expired');
    }
    const resource = `arn:aws:s3:::${bucket}/${key}`;
    // HeadObject is authorized as s3:GetObject; a PUT that sets tags also needs s3:PutObjectTagging.
    const calls: Call[] = [{ action: `s3:${operation === 'HeadObject' ? 'GetObject' : operation}`, resource, detail: operation }];
    if (operation === 'PutObject' && req.headers['x-amz-tagging']) calls.push({ action: 's3:PutObjectTagging', resource, detail: operation });
    if (!(await this.allowed(res, principal, calls, 's3'))) return;

    const id = `${bucket}/${key}`;
    const object = this.objects.get(id);
    const headers = (o: StoredObject): Record<string, string | number> => ({
      etag: o.etag,
      'last-modified': o.lastModified.toUTCString(),
      'content-type': url.searchParams.get('response-content-type') ?? o.contentType,
      'accept-ranges': 'bytes',
      ...(url.searchParams.get('response-content-disposition') ? { 'content-disposition': url.searchParams.get('response-content-disposition')! } : {}),
      ...(Object.keys(o.tags).length ? { 'x-amz-tagging-count': Object.keys(o.tags).length } : {}),
    });
    switch (operation) {
      case 'PutObject': {
        const stored: StoredObject = {
          bytes: body,
          contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
          etag: `"${createHash('md5').update(body).digest('hex')}"`,
          lastModified: new Date(),
          tags: Object.fromEntries(new URLSearchParams(String(req.headers['x-amz-tagging'] ?? ''))),
        };
        this.objects.set(id, stored);
        res.writeHead(200, { etag: stored.etag, 'content-length': 0 });
        return void res.end();
      }
      case 'DeleteObject':
        this.objects.delete(id);
        res.writeHead(204);
        return void res.end();
    }
    if (!object) {
      if (method === 'HEAD') {
        res.writeHead(404);
        return void res.end();
      }
      return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    }
    switch (operation) {
      case 'HeadObject':
        res.writeHead(200, { ...headers(object), 'content-length': object.bytes.length });
        return void res.end();
      case 'GetObject': {
        const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
        if (!range) {
          res.writeHead(200, { ...headers(object), 'content-length': object.bytes.length });
          return void res.end(object.bytes);
        }
        const start = Number(range[1]);
        const end = Math.min(range[2] ? Number(range[2]) : object.bytes.length - 1, object.bytes.length - 1);
        if (start >= object.bytes.length) return s3Error(res, 416, 'InvalidRange', 'The requested range is not satisfiable');
        const part = object.bytes.subarray(start, end + 1);
        res.writeHead(206, { ...headers(object), 'content-length': part.length, 'content-range': `bytes ${start}-${end}/${object.bytes.length}` });
        return void res.end(part);
      }
      case 'GetObjectTagging': {
        const tags = Object.entries(object.tags)
          .map(([k, v]) => `<Tag><Key>${xmlEscape(k)}</Key><Value>${xmlEscape(v)}</Value></Tag>`)
          .join('');
        return xml(res, 200, `<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>${tags}</TagSet></Tagging>`);
      }
      case 'PutObjectTagging': {
        const pairs = [...body.toString('utf8').matchAll(/<Tag>\s*<Key>([^<]*)<\/Key>\s*<Value>([^<]*)<\/Value>\s*<\/Tag>/g)];
        object.tags = Object.fromEntries(pairs.map((m) => [xmlUnescape(m[1]!), xmlUnescape(m[2]!)]));
        res.writeHead(200, { 'content-length': 0 });
        return void res.end();
      }
      case 'DeleteObjectTagging':
        object.tags = {};
        res.writeHead(204);
        return void res.end();
    }
  }

  private async manageConnection(req: IncomingMessage, res: ServerResponse, principal: Principal, apiId: string, stage: string, id: string, body: Buffer) {
    const method = req.method ?? 'GET';
    const operation = method === 'POST' ? 'PostToConnection' : method === 'DELETE' ? 'DeleteConnection' : 'GetConnection';
    this.count(`execute-api:${operation}`);
    const resource = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId}/${stage}/${method}/@connections/${id}`;
    if (!(await this.allowed(res, principal, [{ action: 'execute-api:ManageConnections', resource, detail: operation }], 'execute-api'))) return;
    const sink = this.connections;
    const gone = () => json(res, 410, { message: 'Gone' }, 'application/json');
    if (!sink) return gone();
    if (method === 'POST') {
      if (!sink.post(apiId, stage, id, body)) return gone();
      res.writeHead(200, { 'content-length': 0 });
      res.end();
      return;
    }
    if (method === 'DELETE') {
      if (!sink.remove(apiId, stage, id)) return gone();
      res.writeHead(204);
      res.end();
      return;
    }
    if (!sink.exists(apiId, stage, id)) return gone();
    json(res, 200, { connectedAt: new Date().toISOString(), identity: { sourceIp: '127.0.0.1' }, lastActiveAt: new Date().toISOString() }, 'application/json');
  }
}

const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const xmlUnescape = (text: string) =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

function xml(res: ServerResponse, status: number, body: string): void {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(text), 'x-amz-request-id': randomUUID() });
  res.end(text);
}

/** S3's error answer (XML), as the SDK parses it. */
function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  xml(res, status, `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${randomUUID()}</RequestId></Error>`);
}
