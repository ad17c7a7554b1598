/**
 * The visitor writes: text, files it uploaded, or both. Its own module so that only the function
 * that posts a visitor's messages bundles the file store.
 */
import { findChannel, getLineCached } from '../../adapters/dynamodb/lines.ts';
import { notFound } from '../../contract/errors.ts';
import type { VisitorClaims } from '../../contract/visitors.ts';
import { clientVisible, isLivechat, visitorCaller } from '../../domain/visitors/rules.ts';
import { checkFilesForSend } from '../files/files.ts';
import { receiveInbound } from '../sessions/open.ts';
import { sessionView } from './service.ts';

export async function postVisitorMessage(claims: VisitorClaims, body: string, fileIds: readonly string[] = []) {
  const files = fileIds.length > 0 ? await visitorFiles(claims, fileIds) : [];
  const input = { account: claims.account, body, files };
  const result = await receiveInbound(visitorCaller(claims.channel, claims.account), claims.channel, input, () => []);
  return { created: result.created, session: sessionView(result.session), message: clientVisible([result.message])[0]! };
}

/** The visitor's own uploads, checked for sending (its channel's line sets the size limit). */
async function visitorFiles(claims: VisitorClaims, ids: readonly string[]) {
  const channel = await findChannel(claims.channel);
  if (!channel || !isLivechat(channel)) throw notFound('livechat channel', claims.channel);
  const line = await getLineCached(channel._line);
  return checkFilesForSend(ids, { kind: 'client', channel: channel.__id, account: claims.account }, line);
}
