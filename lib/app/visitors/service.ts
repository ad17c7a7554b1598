/**
 * The visitor use cases behind `/v1/visitors…`: start (a token for a livechat channel), write
 * (an inbound message as that channel's client), read (the client-visible messages of the
 * visitor's newest session) and the queue position. The token is verified by the caller of
 * these functions (functions/*-visitor*.ts); everything here trusts its claims.
 */

import { clientIdByAccount, findChannel, getLineCached } from '../../adapters/dynamodb/lines.ts';
import { latestSessionOfClient, listMessages } from '../../adapters/dynamodb/sessions.ts';
import { signVisitorToken, VISITOR_TOKEN_TTL_SECONDS } from '../../adapters/visitor-token.ts';
import type { Caller } from '../../contract/caller.ts';
import { conflict, notFound } from '../../contract/errors.ts';
import type { Session } from '../../contract/schemas.ts';
import type { VisitorClaims } from '../../contract/visitors.ts';
import { nowIso } from '../../domain/ids.ts';
import { queuePosition } from '../../domain/routing/queue.ts';
import { openState } from '../../domain/schedule/schedule.ts';
import { ratingState } from '../../domain/sessions/rating.ts';
import { clientVisible, expectedWaitSeconds, isLivechat, newVisitorAccount, type VisitorMessage, visitorState } from '../../domain/visitors/rules.ts';
import { readMetrics } from '../metrics/read.ts';
import { waitingSessions } from '../routing/store.ts';
import { rateSession } from '../sessions/rating.ts';

/** How many messages a visitor's page reads at most (the widget shows a conversation, not an archive). */
export const VISITOR_MESSAGES_LIMIT = 500;

const visibleState = (s: Session) => visitorState(s._state);
export const sessionView = (s: Session | undefined, now = Date.now()) => (s ? { id: s.__id, state: visibleState(s), rating: ratingState(s, now) } : null);

export async function startVisitor(secret: string, channelId: string, now = Date.now()) {
  const channel = await findChannel(channelId);
  // Any other channel type answers like a missing channel: the route does not reveal what exists.
  if (!channel || !isLivechat(channel)) throw notFound('livechat channel', channelId);
  if (channel._state !== 'active') throw conflict('this chat is not available right now (the channel is disconnected)');
  const exp = Math.floor(now / 1000) + VISITOR_TOKEN_TTL_SECONDS;
  const account = newVisitorAccount();
  return {
    token: await signVisitorToken(secret, { channel: channel.__id, account, exp }),
    channel: channel.__id,
    account,
    expiresAt: new Date(exp * 1000).toISOString(),
  };
}

/** The visitor's newest session on its channel, if it has written yet. */
async function currentSession(claims: VisitorClaims): Promise<Session | undefined> {
  const clientId = await clientIdByAccount(claims.channel, claims.account);
  if (!clientId) return undefined;
  const session = await latestSessionOfClient(clientId);
  return session && session._channel === claims.channel ? session : undefined;
}

/** The line's business hours as the widget shows them (the line from the instance cache). */
async function visitorHours(claims: VisitorClaims, now: number) {
  const channel = await findChannel(claims.channel);
  if (!channel) throw notFound('livechat channel', claims.channel);
  return openState((await getLineCached(channel._line))._schedule, now);
}

export async function visitorMessages(
  claims: VisitorClaims,
  now = Date.now(),
): Promise<{ session: ReturnType<typeof sessionView>; messages: VisitorMessage[]; hours: { openNow: boolean; nextChangeAt: string | null } }> {
  const [session, hours] = await Promise.all([currentSession(claims), visitorHours(claims, now)]);
  if (!session) return { session: null, messages: [], hours };
  return { session: sessionView(session, now), messages: clientVisible(await listMessages(session.__id, 0, VISITOR_MESSAGES_LIMIT)), hours };
}

/**
 * `POST /v1/visitors/rating`: the visitor rates its newest session (closed, with a rating
 * request of the last 24 h). Once: a second rating is 409, the first one stands.
 */
export async function rateVisitorSession(claims: VisitorClaims, input: { score: number; comment?: string | undefined }) {
  const session = await currentSession(claims);
  if (!session) throw notFound('session of visitor', claims.account);
  const at = nowIso();
  const comment = input.comment ? input.comment : null;
  const after = await rateSession(session, { score: input.score, comment, at, via: 'widget' }, `visitor:${claims.account}`.slice(0, 128));
  return { session: after.__id, score: input.score, comment, at };
}

/** The metrics reader's own rules decide what a caller sees; the queue estimate reads the line's series as the system. */
const SYSTEM: Caller = { sub: 'system:visitor-queue', roles: ['admin'], groups: [], channels: [] };

async function meanQueueWaitMs(lineId: string, now: Date): Promise<number | undefined> {
  const from = new Date(now.getTime() - 6 * 86_400_000).toISOString().slice(0, 10);
  const report = await readMetrics(SYSTEM, { line: lineId, type: 'queueWait', granularity: 'day', from } as Parameters<typeof readMetrics>[1], now);
  let sum = 0;
  let count = 0;
  for (const point of report.metrics[0]?.series ?? []) {
    sum += point.sum;
    count += point.count;
  }
  return count > 0 ? sum / count : undefined;
}

export const QUEUE_BASIS =
  "position: the session's place among its line's Waiting sessions of the same queue (priority, then age); " +
  "expected wait: the line's mean queue wait over the last 7 days (metrics) less the time already waited";

export async function visitorQueue(claims: VisitorClaims, now = new Date()) {
  const session = await currentSession(claims);
  const none = { state: session ? visibleState(session) : null, position: null, ahead: null, expectedWaitSeconds: null, basis: QUEUE_BASIS };
  if (session?._state !== 'Waiting') return none;
  const [waiting, mean] = await Promise.all([waitingSessions(session._line), meanQueueWaitMs(session._line, now)]);
  const place = queuePosition(session, waiting);
  return {
    state: session._state,
    position: place?.position ?? null,
    ahead: place?.ahead ?? null,
    expectedWaitSeconds: expectedWaitSeconds(mean, session.__createdAt, now.getTime()) ?? null,
    basis: QUEUE_BASIS,
  };
}
