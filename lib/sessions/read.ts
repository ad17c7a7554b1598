/** Reading sessions: what the caller may see, or 404. */
import type { Caller } from '../auth/caller.ts';
import { visibleSession } from '../auth/policy.ts';
import type { Line, Session } from '../model/schemas.ts';
import { getLineCached, getSession } from '../store/repository.ts';

export async function fetchSession(caller: Caller, id: string): Promise<{ session: Session; line: Line }> {
  const session = await getSession(id);
  const line = await getLineCached(session._line);
  return { session: visibleSession(caller, line, session), line };
}
