// One Lambda execution environment: a worker thread with the function's own environment
// (process.env is the worker's copy) that imports the bundle from cdk.out once (the cold start)
// and runs one invocation at a time, as Lambda does. Plain JavaScript: the bundle is what runs,
// with no TypeScript loader in between.

import { existsSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const { assetDir, handler, hosts = {} } = workerData;

// Stand-in DNS: a host name the harness stands in for (the WebSocket API's execute-api domain,
// the webhook receiver) resolves to a public address (so the functions' own URL checks pass),
// and HTTPS calls to it, through `fetch` or through `https.request` (the AWS SDK's handler),
// reach the local stand-in instead.
if (Object.keys(hosts).length > 0) {
  const require = createRequire(import.meta.url);
  const dns = require('node:dns');
  const https = require('node:https');
  const http = require('node:http');
  const realHttpsRequest = https.request;
  // Both forms: request(options, cb) (the AWS SDK) and request(url, options, cb) (the
  // deliveries' pinned connection, which also sets its own `lookup`: replaced here).
  https.request = function request(first, ...rest) {
    const isUrl = typeof first === 'string' || first instanceof URL;
    const host = isUrl ? new URL(String(first)).hostname : first && typeof first === 'object' ? (first.hostname ?? first.host) : undefined;
    const local = host ? hosts[host] : undefined;
    if (!local) return realHttpsRequest.call(this, first, ...rest);
    const target = new URL(local);
    const base = isUrl ? new URL(String(first)) : undefined;
    const extra = isUrl && rest[0] && typeof rest[0] === 'object' ? rest.shift() : {};
    const options = isUrl ? { ...extra, path: `${base.pathname}${base.search}` } : first;
    const { agent: _agent, lookup: _lookup, ...plain } = options;
    return http.request(
      { ...plain, protocol: 'http:', hostname: target.hostname, port: target.port, path: `${target.pathname.replace(/\/$/, '')}${options.path ?? '/'}` },
      ...rest,
    );
  };
  const PUBLIC = '93.184.215.14';
  const realLookup = dns.promises.lookup;
  dns.promises.lookup = async (host, options) => {
    if (!(host in hosts)) return realLookup(host, options);
    const answer = { address: PUBLIC, family: 4 };
    return typeof options === 'object' && options?.all ? [answer] : answer;
  };
  syncBuiltinESMExports();
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url);
    const local = hosts[url.hostname];
    if (!local) return realFetch(input, init);
    return realFetch(`${local.replace(/\/$/, '')}${url.pathname}${url.search}`, init);
  };
}
const [file, exportName] = handler.split('.');
const candidates = ['.mjs', '.js', '.cjs'].map((ext) => join(assetDir, `${file}${ext}`));
const entry = candidates.find((c) => existsSync(c));
const loaded = entry ? import(pathToFileURL(entry).href) : Promise.reject(new Error(`no ${file}.mjs/.js in ${assetDir}`));
// The init phase ends here: the parent starts the invocation's timeout only after it.
loaded.then(
  () => parentPort.postMessage({ ready: true }),
  (error) => parentPort.postMessage({ ready: true, initError: { errorType: 'Runtime.ImportModuleError', errorMessage: String(error?.message ?? error) } }),
);

const errorOf = (error) => ({
  errorType: error?.name ?? 'Error',
  errorMessage: error?.message ?? String(error),
  stackTrace: String(error?.stack ?? '')
    .split('\n')
    .slice(1, 6),
});

parentPort.on('message', async ({ id, event, context, traceId, deadline }) => {
  process.env._X_AMZN_TRACE_ID = traceId;
  const ctx = {
    ...context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  try {
    const module = await loaded;
    const fn = module[exportName];
    if (typeof fn !== 'function') throw new Error(`${entry} exports no function ${exportName}`);
    const result = await fn(event, ctx);
    // Lambda answers with the JSON serialisation of the result.
    parentPort.postMessage({ id, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (error) {
    parentPort.postMessage({ id, error: errorOf(error) });
  }
});
