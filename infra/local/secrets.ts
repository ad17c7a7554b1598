/**
 * The local host's own secrets, made on its first start and kept under `.chatlines/`
 * (git-ignored) beside the development signing key (jwt.ts): the visitor-token secret and the key
 * that wraps messenger credentials. The runtime code only reads them (lib/adapters/secrets.ts,
 * lib/adapters/sealing.ts), from the files named in the environment here; in AWS the stack's
 * Secrets Manager secret (`VISITOR_SECRET_ARN`) and KMS key (`CREDENTIALS_KEY_ID`) stand in
 * their place. A file named in the environment already (the tests', the bench's) is made there.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Writes `file` unless it exists, whole or not at all: the contents go to a file of their own,
 * which is then linked in place (the link fails when `file` exists). Two starts at once: the
 * first link stays, and neither reads a half-written file.
 */
function createOnce(file: string, contents: () => string): void {
  mkdirSync(dirname(file), { recursive: true });
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, contents(), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(draft, { force: true });
  }
}

/** Makes the local secrets the environment does not provide otherwise, and names their files in it. */
export function ensureLocalSecrets(dir = join(process.cwd(), '.chatlines')): void {
  if (!process.env.VISITOR_SECRET && !process.env.VISITOR_SECRET_ARN) {
    const file = (process.env.VISITOR_SECRET_FILE ??= join(dir, 'visitor-secret'));
    createOnce(file, () => randomBytes(32).toString('base64url'));
  }
  if (!process.env.CREDENTIALS_KEY_ID) {
    const file = (process.env.CREDENTIALS_KEY_FILE ??= join(dir, 'credentials-key'));
    createOnce(file, () => randomBytes(32).toString('base64'));
  }
}
