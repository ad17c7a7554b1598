/**
 * The visitor-token secret. In AWS: a Secrets Manager secret made by the stack
 * (`VISITOR_SECRET_ARN`), read once per cold start. Locally: `VISITOR_SECRET` when set, else the
 * file `VISITOR_SECRET_FILE`, which the local host makes on its first start
 * (infra/local/secrets.ts). Read only: the runtime makes no secret of its own.
 */
import { readFile } from 'node:fs/promises';

let cached: Promise<string> | undefined;

async function fromFile(file: string): Promise<string> {
  const secret = (await readFile(file, 'utf8')).trim();
  if (!secret) throw new Error(`the visitor secret file ${file} is empty`);
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
  const arn = process.env.VISITOR_SECRET_ARN;
  const file = process.env.VISITOR_SECRET_FILE;
  cached ??= (
    arn
      ? fromSecretsManager(arn)
      : file
        ? fromFile(file)
        : Promise.reject(new Error('no visitor secret: VISITOR_SECRET_ARN (AWS) or VISITOR_SECRET / VISITOR_SECRET_FILE (the local host) must be set'))
  ).catch((error: unknown) => {
    cached = undefined; // a failed read is retried by the next request
    throw error;
  });
  return cached;
}
