/**
 * Satisfaction (CSAT): when a line asks for a rating, whether a session may be rated, what a
 * rating changes. Pure. docs/csat.md says the same in prose.
 *
 * - The close of a session on a line with `_csat.enabled` sends one rating request (a
 *   client-visible `system` text, delivered like a reply) and stamps `_csatRequestedAt`.
 * - The client may rate once, within 24 h of the request: the widget's route, or a messenger
 *   answer that is exactly a digit 1–5 while the client has no open session. A second rating is
 *   refused (409): the first one stands.
 * - The rating lands on the session (`_rating`) with a history entry (`command: rate`), which
 *   makes `session.rated` and the `csat` metric sample.
 */
import type { LineChannelType } from '../../contract/enums.ts';
import { conflict } from '../../contract/errors.ts';
import { CSAT_WINDOW_SECONDS, DEFAULT_CSAT_MESSAGE, type Rating } from '../../contract/schedule.ts';
import type { Line, Message, Session } from '../../contract/schemas.ts';
import { newMessageId } from '../ids.ts';
import { changed, diffSession, newMessage } from './session.ts';

/** Who the rating request and the history name for what the survey did. */
export const CSAT_BY = 'system';

/** The rating request a close sends (undefined: the line does not ask). `at`: the close. */
export function ratingRequest(line: Pick<Line, '_csat'>, session: Session, channelType: LineChannelType | undefined, at: string): Message | undefined {
  if (!line._csat?.enabled) return undefined;
  const text = line._csat.message ?? DEFAULT_CSAT_MESSAGE;
  // The widget shows stars; a messenger's client answers with a digit.
  const body = channelType === 'livechat' ? text : `${text}\nReply with one number from 1 to 5.`;
  return newMessage({ session: session.__id, type: 'text', author: 'system', body, operator: CSAT_BY, now: at });
}

/** The survey's state of a session at `now`: `requested` (may be rated), `rated`, or null. */
export function ratingState(session: Session, now: number): 'requested' | 'rated' | null {
  if (session._rating) return 'rated';
  if (session._state !== 'Closed' || !session._csatRequestedAt) return null;
  return now - Date.parse(session._csatRequestedAt) <= CSAT_WINDOW_SECONDS * 1000 ? 'requested' : null;
}

/** A messenger answer that is a rating: exactly one digit 1–5 (spaces around allowed). */
export function ratingAnswer(body: string): number | undefined {
  const m = /^\s*([1-5])\s*$/.exec(body);
  return m ? Number(m[1]) : undefined;
}

/** The session after a rating, and its history entry; 409 when it may not be rated (any more). */
export function rate(session: Session, rating: Rating, by: string): { after: Session; history: Message } {
  const state = ratingState(session, Date.parse(rating.at));
  if (state === 'rated') throw conflict('this conversation has been rated already');
  if (state === null) throw conflict('this conversation cannot be rated: it is not closed with a rating request of the last 24 hours');
  const after = changed(session, { _rating: rating }, by, rating.at);
  const history: Message = {
    __id: newMessageId(Date.parse(rating.at)),
    __createdAt: rating.at,
    session: session.__id,
    type: 'payload',
    author: 'system',
    body: `rate by ${by}: ${rating.score}${rating.comment ? ` (${rating.comment})` : ''}`,
    client: session._clients[0] ?? null,
    operator: by,
    externalId: null,
    files: [],
    attachments: [],
    isRead: true,
    payload: { kind: 'SessionChanged', command: 'rate', by, at: rating.at, changes: diffSession(session, after) },
    _deliveryStatus: null,
  };
  return { after, history };
}
