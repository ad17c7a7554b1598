/**
 * Satisfaction ratings: the widget's route (`POST /v1/visitors/rating`) and a messenger's "1".."5"
 * answer (lib/app/sessions/open.ts) both end here. One conditional transaction at the version
 * read: of two ratings at once exactly one lands, the other is a 409 (see lib/domain/sessions/rating.ts).
 */
import type { TransactItem } from '../../adapters/dynamodb/db.ts';
import { commitSessionChange } from '../../adapters/dynamodb/sessions.ts';
import type { Rating } from '../../contract/schedule.ts';
import type { Message, Session } from '../../contract/schemas.ts';
import { outboxFor } from '../../domain/events/outbox.ts';
import { rate } from '../../domain/sessions/rating.ts';

/**
 * Rates a closed session. `answer`: the client's message that carried the rating (a messenger's
 * digit), stored on the session with it. Returns the session after.
 */
export async function rateSession(session: Session, rating: Rating, by: string, answer?: Message, extra: TransactItem[] = []): Promise<Session> {
  const { after, history } = rate(session, rating, by);
  const messages = answer ? [answer, history] : [history];
  await commitSessionChange({ before: session, after, messages, outbox: outboxFor(messages), extra }, 'the session was changed (or rated) concurrently');
  return after;
}
