/**
 * `npm start`: the whole API on localhost over DynamoDB Local.
 *   npm start                      data kept under .chatlines/dynamodb between runs
 *   npm start -- --in-memory       a throwaway run
 *   PORT=3001 npm start            another port (default 3000)
 *   DYNAMODB_ENDPOINT=http://…     use that DynamoDB instead of starting DynamoDB Local
 *   npm start -- --aggregate-every 10   metrics aggregation every 10 s (default 60; 0 turns it off)
 *   npm start -- --timers-every 5       timer sweep every 5 s (default 60; 0 turns it off)
 *   npm start -- --line-shards 4        shards of each line's hot partitions (default 1; only grows)
 *   FILES_BUCKET=… S3_ENDPOINT=…     use that bucket instead of starting the local file store (s3rver)
 *   CHATLINES_SMTP_PORT=2525       inbound mail for inbox channels (default 2525; 0 turns it off)
 *   SMTP_URL=smtp://127.0.0.1:1025 where inbox channels' replies are sent (docs/email.md)
 * Ctrl-C stops everything it started.
 */
import './node-version.ts';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAggregationTimer, writeEndpointFile } from './aggregate.ts';
import { consoleDir } from './console.ts';
import { ensureTable, type RunningDynamoDb, startDynamoDbLocal } from './dynamodb.ts';
import { configureLocalEnvironment } from './env.ts';
import { startEventWorkers } from './events.ts';
import { type RunningFileStore, startFileStore } from './files.ts';
import { startHost } from './host.ts';
import { loadOrCreateDevKey } from './jwt.ts';
import { type RunningSmtp, startSmtpListener } from './smtp.ts';
import { startTimerSweeper } from './timers.ts';

const { values } = parseArgs({
  options: {
    'in-memory': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    'aggregate-every': { type: 'string', default: '60' },
    'timers-every': { type: 'string', default: '60' },
    'line-shards': { type: 'string' },
  },
});
if (values['line-shards'] !== undefined) {
  const n = Number(values['line-shards']);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    console.error(`chatlines: --line-shards takes an integer from 1 to 64, not "${values['line-shards']}"`);
    process.exit(1);
  }
  process.env.LINE_SHARDS = String(n);
}
const timersEvery = Number(values['timers-every']);
if (!Number.isFinite(timersEvery) || timersEvery < 0) {
  console.error(`chatlines: --timers-every takes seconds (0 turns the timer sweep off), not "${values['timers-every']}"`);
  process.exit(1);
}
const aggregateEvery = Number(values['aggregate-every']);
if (!Number.isFinite(aggregateEvery) || aggregateEvery < 0) {
  console.error(`chatlines: --aggregate-every takes seconds (0 turns the metrics timer off), not "${values['aggregate-every']}"`);
  process.exit(1);
}

// The console (dist/console) is built by `npm ci`; build it here when it is missing.
if (!existsSync(join(consoleDir(), 'index.html'))) {
  console.log('chatlines: building the console (npm run build:console)…');
  const built = spawnSync('npm', ['run', '-s', 'build:console'], { stdio: 'inherit' });
  if (built.status !== 0) console.error('chatlines: the console did not build; the API runs without it.');
}

const port = Number(process.env.PORT ?? 3000);
const tableName = process.env.TABLE_NAME ?? 'chatlines';
const dataDir = join(process.cwd(), '.chatlines', 'dynamodb');

let dynamo: RunningDynamoDb | undefined;
let endpoint = process.env.DYNAMODB_ENDPOINT;
if (!endpoint) {
  dynamo = await startDynamoDbLocal(values['in-memory'] ? {} : { dataDir });
  endpoint = dynamo.endpoint;
}

let files: RunningFileStore | undefined;
const stopAll = async (code: number) => {
  await files?.stop();
  await dynamo?.stop();
  process.exit(code);
};

try {
  const table = await ensureTable(endpoint, tableName);
  configureLocalEnvironment(tableName, endpoint);
  const key = await loadOrCreateDevKey();
  // Files: an S3-compatible server of our own unless FILES_BUCKET/S3_ENDPOINT point elsewhere.
  if (!process.env.FILES_BUCKET) files = await startFileStore(values['in-memory'] ? {} : { dataDir: join(process.cwd(), '.chatlines', 'files') });
  const host = await startHost({
    port,
    key,
    ...(values.quiet ? {} : { onRequest: (line: string) => console.log(line) }),
  }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') {
      console.error(`chatlines: port ${port} is already in use (another npm start?); set PORT to use another one.`);
      await stopAll(1);
    }
    throw error;
  });
  const storage = dynamo ? (values['in-memory'] ? 'DynamoDB Local, in memory' : `DynamoDB Local, data in ${dataDir}`) : endpoint;
  console.log(`chatlines API on ${host.url}  (Node ${process.version}; table ${tableName} ${table}; ${storage})`);
  console.log(`  console: ${host.url}/  (development sign-in; widget demo: ${host.url}/demo.html?channel=<livechat channel id>)`);
  console.log(`  health:  curl ${host.url}/v1/health`);
  console.log(
    `  hooks:   ${process.env.PUBLIC_URL}/v1/hooks/<telegram|whatsapp|viber|instagram>/<channel id>  (PUBLIC_URL: a tunnel's URL for real messengers; docs/messengers.md)`,
  );
  const fileData = values['in-memory'] ? 'a temporary folder' : '.chatlines/files';
  console.log(`  files:   ${files ? `s3rver on ${files.endpoint}, bucket ${files.bucket} (data in ${fileData})` : `bucket ${process.env.FILES_BUCKET}`}`);
  console.log(`  token:   TOKEN=$(npm run -s token -- --sub alice --roles admin)`);
  console.log(`  then:    curl -H "Authorization: Bearer $TOKEN" ${host.url}/v1/lines -d '{"__name":"Support"}'`);
  const events = await startEventWorkers({ endpoint, tableName, sweepEveryMs: 1_000 });
  console.log('  events:  the table stream feeds webhooks, messenger deliveries, the in-process bus and live sockets');
  console.log(`  live:    ${host.url.replace(/^http/, 'ws')}/v1/live?token=$TOKEN  (WebSocket; frames in docs/live.md)`);
  const smtpPort = Number(process.env.CHATLINES_SMTP_PORT ?? 2525);
  let smtp: RunningSmtp | undefined;
  if (smtpPort > 0) {
    smtp = await startSmtpListener({ port: smtpPort, onError: (error) => console.error(`chatlines: mail: ${(error as Error).message}`) }).catch(
      (error: NodeJS.ErrnoException) => {
        console.error(`chatlines: SMTP port ${smtpPort} is not available (${error.code ?? error.message}); set CHATLINES_SMTP_PORT (0: no inbound mail).`);
        return undefined;
      },
    );
  }
  console.log(
    smtp
      ? `  mail:    SMTP on 127.0.0.1:${smtp.port} for inbox channels; replies through ${process.env.SMTP_URL ?? '(SMTP_URL not set: none)'}`
      : '  mail:    no inbound SMTP (CHATLINES_SMTP_PORT=0 or taken)',
  );
  const removeEndpointFile = writeEndpointFile(endpoint, tableName);
  const stopTimer = startAggregationTimer(aggregateEvery);
  console.log(
    aggregateEvery > 0
      ? `  metrics: aggregated every ${aggregateEvery} s; \`npm run aggregate\` runs one now`
      : '  metrics: timer off (--aggregate-every 0); `npm run aggregate` runs one',
  );
  const stopTimers = startTimerSweeper(timersEvery);
  console.log(
    timersEvery > 0
      ? `  timers:  swept every ${timersEvery} s; \`npm run timers\` sweeps now`
      : '  timers:  sweep off (--timers-every 0); `npm run timers` sweeps once',
  );
  console.log('Ctrl-C stops the API and DynamoDB Local.');

  const shutdown = async () => {
    stopTimer();
    await stopTimers();
    await events.stop();
    await smtp?.close();
    removeEndpointFile();
    await host.close();
    await stopAll(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  console.error(`chatlines: ${(error as Error).message}`);
  await stopAll(1);
}
