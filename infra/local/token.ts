/**
 * `npm run token -- --sub alice --roles operator --groups support [--channels id] [--expires 12h]`
 * prints a development token the local host accepts.
 */
import './node-version.ts';
import { parseArgs } from 'node:util';
import { loadOrCreateDevKey, signToken } from './jwt.ts';

const list = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

const { values } = parseArgs({
  options: {
    sub: { type: 'string', default: 'dev-admin' },
    roles: { type: 'string', default: 'admin' },
    groups: { type: 'string' },
    channels: { type: 'string' },
    expires: { type: 'string', default: '12h' },
  },
});

const key = await loadOrCreateDevKey();
const token = await signToken(
  key,
  { sub: values.sub!, roles: list(values.roles), groups: list(values.groups), channels: list(values.channels) },
  { expiresIn: values.expires! },
);
process.stdout.write(`${token}\n`);
