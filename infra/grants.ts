/**
 * What each function may do in AWS, said once: the DynamoDB actions it calls on the table, the
 * indexes it queries, and the few other services it calls. The CDK stack turns each entry into
 * the function's role (infra/aws/table.ts, infra/aws/stack.ts); test/infra/grants.test.ts drives
 * every function on the local host, watches each DynamoDB call, and fails when a function calls
 * something its entry lacks or an entry holds an action no call needed. Add a function here when
 * you add its file; change an entry when its code starts (or stops) calling something.
 *
 * TransactWriteItems has no IAM action of its own: each Put, Update, Delete and ConditionCheck
 * in it needs PutItem, UpdateItem, DeleteItem or ConditionCheckItem. A function that batch-reads
 * (BatchGetItem) also reads single items: getItems asks for one distinct key with GetItem.
 * Every staff mutation may carry an Idempotency-Key, whose record is read (GetItem) and written
 * (PutItem) by the route itself. No function Scans, reads the stream itself (the event source
 * mappings do) or describes the table.
 */
import type { IndexName } from '../lib/adapters/dynamodb/table.ts';

/** DynamoDB actions on the table (the IAM action without its `dynamodb:` prefix). */
export type TableAction = 'GetItem' | 'BatchGetItem' | 'Query' | 'ConditionCheckItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'BatchWriteItem';

/**
 * S3 actions on the file bucket's objects (`files/*`), without the `s3:` prefix. Signing a URL
 * needs the action the URL performs: a pre-signed upload `PutObject` (and `PutObjectTagging`, its
 * pending tag), a pre-signed download `GetObject`. HeadObject and ranged GETs are `GetObject`.
 */
export type FileAction = 'PutObject' | 'PutObjectTagging' | 'GetObject' | 'GetObjectTagging' | 'DeleteObject' | 'DeleteObjectTagging';

export interface FunctionGrant {
  /** Actions on the table's own key (`Query` here: a Query without an index). */
  readonly table: readonly TableAction[];
  /** Indexes it queries (`dynamodb:Query` on `<table>/index/<name>`). */
  readonly indexes: readonly IndexName[];
  /** `events:PutEvents` on the chatlines bus (the stream consumer publishes every event). */
  readonly putEvents?: true;
  /** `secretsmanager:GetSecretValue` on the visitor-token secret (the web-chat visitor routes). */
  readonly visitorSecret?: true;
  /**
   * `execute-api:ManageConnections` for `POST @connections/{id}` (frames) and `DELETE
   * @connections/{id}` (closing a connection whose token expired) on the live WebSocket stage.
   */
  readonly postToConnection?: true;
  /** `sqs:SendMessage` on the delivery queue (the stream consumer hands new deliveries to it). */
  readonly queueDeliveries?: true;
  /**
   * `kms:Encrypt` and `kms:Decrypt` with the stack's credentials key (messenger credentials,
   * lib/adapters/sealing.ts), and `PUBLIC_URL`: the functions that connect, receive and send.
   */
  readonly credentialsKey?: true;
  /** S3 actions on the file bucket's objects (lib/adapters/files/s3.ts). */
  readonly files?: readonly FileAction[];
  /**
   * `ses:SendEmail`/`ses:SendRawEmail` from the mail domain's identity through its configuration
   * set (inbox channels' replies; infra/aws/mail.ts, only with the `mailDomain` context).
   */
  readonly sendMail?: true;
  /** `s3:GetObject` on the mail bucket's `inbound/` objects (the mails SES received). */
  readonly readMail?: true;
}

/** Signs uploads (the PUT carries the pending tag). */
const SIGN_UPLOAD: readonly FileAction[] = ['PutObject', 'PutObjectTagging'];
/** Signs downloads (the file routes; the delivery functions, for the URLs a channel endpoint gets). */
const SIGN_DOWNLOAD: readonly FileAction[] = ['GetObject'];
/** Checks files a message sends: head and first bytes, the scan's tag, then keeps (untags) or deletes the object. */
const CHECK: readonly FileAction[] = ['GetObject', 'GetObjectTagging', 'DeleteObject', 'DeleteObjectTagging'];

/** Stores a messenger's inbound files, and deletes those of a message that was not written (a duplicate). */
const STORE_INBOUND: readonly FileAction[] = ['PutObject', 'DeleteObject'];

const none: FunctionGrant = { table: [], indexes: [] };

export const functionGrants: Readonly<Record<string, FunctionGrant>> = {
  // HTTP routes (lib/contract/routes/*.ts)
  'assign-session': { table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem'], indexes: [] },
  'close-session': { table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem'], indexes: [] },
  'create-channel': { table: ['GetItem', 'ConditionCheckItem', 'PutItem'], indexes: [], credentialsKey: true },
  'create-line': { table: ['GetItem', 'PutItem'], indexes: [] },
  'create-session': { table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'], indexes: [] },
  'create-session-file': { table: ['GetItem', 'PutItem'], indexes: [], files: SIGN_UPLOAD },
  'create-visitor-file': { table: ['GetItem', 'PutItem'], indexes: [], visitorSecret: true, files: SIGN_UPLOAD },
  'create-visitor': { table: ['GetItem'], indexes: [], visitorSecret: true },
  'create-webhook': { table: ['GetItem', 'PutItem'], indexes: [] },
  'delete-webhook': { table: ['GetItem', 'PutItem', 'DeleteItem'], indexes: [] },
  'disconnect-channel': { table: ['GetItem', 'BatchGetItem', 'PutItem'], indexes: [], credentialsKey: true },
  'get-file': { table: ['GetItem'], indexes: [], files: SIGN_DOWNLOAD },
  'get-health': none,
  'get-last-session-message': { table: ['GetItem', 'Query'], indexes: [] },
  'get-line': { table: ['GetItem'], indexes: [] },
  'get-metrics': { table: ['GetItem', 'Query'], indexes: [] },
  'get-openapi': none,
  'get-session-queue': { table: ['GetItem', 'BatchGetItem', 'Query'], indexes: ['gsi1'] },
  'get-session': { table: ['GetItem'], indexes: [] },
  'get-visitor-file': { table: ['GetItem'], indexes: [], visitorSecret: true, files: SIGN_DOWNLOAD },
  'get-visitor-queue': { table: ['GetItem', 'BatchGetItem', 'Query'], indexes: ['gsi1', 'gsi3'], visitorSecret: true },
  'list-line-operators': { table: ['GetItem', 'BatchGetItem', 'Query'], indexes: [] },
  'list-session-messages': { table: ['GetItem', 'Query'], indexes: [] },
  'list-visitor-messages': { table: ['GetItem', 'Query'], indexes: ['gsi3'], visitorSecret: true },
  'list-webhook-deliveries': { table: ['GetItem', 'BatchGetItem'], indexes: ['gsi2'] },
  'list-webhooks': { table: ['GetItem', 'BatchGetItem'], indexes: ['gsi2'] },
  'mark-session-spam': { table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem'], indexes: [] },
  'mark-session-read': { table: ['GetItem', 'Query', 'PutItem', 'UpdateItem'], indexes: [] },
  'mark-visitor-read': { table: ['GetItem', 'Query', 'UpdateItem'], indexes: ['gsi3'], visitorSecret: true },
  'post-session-message': { table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem'], indexes: [], files: CHECK },
  'post-visitor-message': { table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem'], indexes: ['gsi3'], visitorSecret: true, files: CHECK },
  'rate-visitor-session': { table: ['GetItem', 'PutItem', 'UpdateItem'], indexes: ['gsi3'], visitorSecret: true },
  'receive-messenger-hook': {
    table: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem'],
    indexes: ['gsi3'],
    credentialsKey: true,
    files: STORE_INBOUND,
  },
  'receive-inbound-message': { table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'], indexes: ['gsi3'] },
  'reconnect-channel': { table: ['GetItem', 'BatchGetItem', 'PutItem'], indexes: [], credentialsKey: true },
  'report-message-status': { table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'], indexes: [] },
  'retry-webhook-delivery': { table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'], indexes: [] },
  'save-session': { table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'], indexes: [] },
  'search-objects': { table: ['GetItem', 'BatchGetItem', 'Query'], indexes: ['gsi1', 'gsi2', 'gsi3', 'gsi4', 'gsi6', 'gsi7'] },
  'set-operator-capacity': { table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'], indexes: ['gsi1'] },
  'set-operator-status': { table: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'], indexes: [] },
  'set-session-priority': { table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'], indexes: [] },
  'unmark-session-spam': { table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'], indexes: ['gsi3'] },
  'update-channel': { table: ['GetItem', 'BatchGetItem', 'PutItem', 'DeleteItem'], indexes: [], credentialsKey: true },
  'update-client': { table: ['GetItem', 'BatchGetItem', 'PutItem'], indexes: [] },
  'update-line': { table: ['GetItem', 'PutItem'], indexes: [] },
  // Support operations (lib/contract/routes/support.ts)
  'list-line-templates': { table: ['GetItem', 'BatchGetItem'], indexes: ['gsi2'] },
  'create-template': { table: ['GetItem', 'BatchGetItem', 'PutItem'], indexes: ['gsi2'] },
  'update-template': { table: ['GetItem', 'BatchGetItem', 'PutItem'], indexes: ['gsi2'] },
  'delete-template': { table: ['GetItem', 'PutItem', 'DeleteItem'], indexes: [] },
  'export-client': { table: ['GetItem', 'BatchGetItem', 'Query'], indexes: ['gsi3'], files: SIGN_DOWNLOAD },
  'erase-client': {
    table: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'],
    indexes: ['gsi3'],
    files: ['DeleteObject'],
  },
  // The table stream (event source mappings)
  'live-fanout': { table: ['GetItem', 'BatchGetItem', 'Query', 'BatchWriteItem'], indexes: [], postToConnection: true },
  'stream-consumer': { table: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem'], indexes: ['gsi1'], putEvents: true, queueDeliveries: true },
  // The delivery queue (SQS event source)
  'attempt-deliveries': {
    table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'],
    indexes: [],
    credentialsKey: true,
    files: SIGN_DOWNLOAD,
    sendMail: true,
  },
  // SES (infra/aws/mail.ts): received mail, sending events
  'receive-mail': { table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem'], indexes: ['gsi3'], readMail: true, files: ['PutObject'] },
  'mail-events': { table: ['GetItem', 'BatchGetItem', 'UpdateItem'], indexes: [] },
  // EventBridge Scheduler
  'aggregate-metrics': { table: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem'], indexes: ['gsi5'] },
  'retry-deliveries': {
    table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'],
    indexes: ['gsi1'],
    credentialsKey: true,
    files: SIGN_DOWNLOAD,
    sendMail: true,
  },
  'sweep-timers': { table: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem'], indexes: [] },
  // The live WebSocket API
  'live-authorizer': { table: [], indexes: [], visitorSecret: true },
  'live-connect': { table: ['GetItem', 'BatchGetItem', 'BatchWriteItem'], indexes: ['gsi1'] },
  'live-default': {
    table: ['GetItem', 'BatchGetItem', 'Query', 'UpdateItem', 'BatchWriteItem'],
    indexes: ['gsi1'],
    postToConnection: true,
    credentialsKey: true,
  },
  'live-disconnect': { table: ['GetItem', 'BatchWriteItem'], indexes: [] },
};

/** Every function file with a grant. */
export const functionFiles = (): string[] => Object.keys(functionGrants);

/** The grant of a function file; throws for a function that has none (add it above). */
export function grantOf(file: string): FunctionGrant {
  const grant = functionGrants[file];
  if (!grant) throw new Error(`no grant for the function ${file}: add it to infra/grants.ts`);
  return grant;
}

/** The table actions of a grant as IAM names, a Query on an index as `dynamodb:Query@<index>` (how the grants test names them). */
export function iamActionsOf(grant: FunctionGrant): string[] {
  return [...grant.table.map((a) => `dynamodb:${a}`), ...grant.indexes.map((i) => `dynamodb:Query@${i}`)];
}
