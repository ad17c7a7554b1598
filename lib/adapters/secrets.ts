/**
 * The visitor-token secret. In AWS: a Secrets Manager secret made by the stack
 * (`VISITOR_SECRET_ARN`), read once per cold start. Locally: `VISITOR_SECRET` when set, else a
 * file under `.chatlines/` created on first use (like the development key), git-ignored.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: Promise<string> | undefined;

export const defaultVisitorSecretFile = () => join(process.cwd(), '.chatlines', 'visitor-secret');

function fromFile(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

async function fromSecretsManager(arn: string): Promise<string> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: arn }));
  if (!out.SecretString) throw new Error('the visitor secret is empty');
  return out.SecretString;
}

export function visitorSecret(): Promise<string> {
  if (process.env.VISITOR_SECRET) return Promise.resolve(process.env.VISITOR_SECRET);
  cached ??= (
    process.env.VISITOR_SECRET_ARN
      ? fromSecretsManager(process.env.VISITOR_SECRET_ARN)
      : Promise.resolve(fromFile(process.env.VISITOR_SECRET_FILE ?? defaultVisitorSecretFile()))
  ).catch((error: unknown) => {
    cached = undefined; // a failed read is retried by the next request
    throw error;
  });
  return cached;
}
