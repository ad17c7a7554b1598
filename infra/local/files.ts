/**
 * The local file store: an S3-compatible server (npm `s3rver`) on loopback, so the same
 * pre-signed upload and download run end to end on `npm start` and in the tests. Data under
 * `.chatlines/files` (`npm start`) or a temporary folder (tests, `--in-memory`).
 *
 * What it does not do that S3 does (and chatlines' own check covers): s3rver does not verify
 * signature V4 (a PUT with another length than signed is stored; the check on send refuses it
 * by the object's size), has no object tags (no lifecycle tag, no malware verdict) and no
 * lifecycle. CORS: any origin (the console and the widget demo are served by the host itself).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

export interface RunningFileStore {
  endpoint: string;
  bucket: string;
  stop(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** Starts s3rver with the bucket (and its CORS rule) and points the functions at it (`S3_ENDPOINT`, `FILES_BUCKET`). */
export async function startFileStore(options: { dataDir?: string; bucket?: string } = {}): Promise<RunningFileStore> {
  // s3rver is CommonJS and has no types.
  const S3rver = createRequire(import.meta.url)('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;
  const bucket = options.bucket ?? 'chatlines-files';
  const temporary = options.dataDir ? undefined : mkdtempSync(join(tmpdir(), 'chatlines-files-'));
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: options.dataDir ?? temporary,
    // Path-style only: the pre-signed URLs name the bucket in the path.
    vhostBuckets: false,
    configureBuckets: [{ name: bucket, configs: [CORS] }],
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  process.env.S3_ENDPOINT = endpoint;
  process.env.FILES_BUCKET = bucket;
  return {
    endpoint,
    bucket,
    async stop() {
      await server.close();
      if (temporary) rmSync(temporary, { recursive: true, force: true });
    },
  };
}
