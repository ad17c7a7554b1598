/** Reading sessions: what the caller may see, or 404. */

import { getLineCached } from '../../adapters/dynamodb/lines.ts';
import { getSession } from '../../adapters/dynamodb/sessions.ts';
import type { Caller } from '../../contract/caller.ts';
import type { Line, Session } from '../../contract/schemas.ts';
import { visibleSession } from '../../domain/auth/policy.ts';

export async function fetchSession(caller: Caller, id: string): Promise<{ session: Session; line: Line }> {
  const session = await getSession(id);
  const line = await getLineCached(session._line);
  return { session: visibleSession(caller, line, session), line };
}
