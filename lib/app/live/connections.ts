/** Live connections: a new connection is recorded for the lines its caller may receive events of. */

import { saveConnection } from '../../adapters/dynamodb/live.ts';
import { type Caller, hasRole } from '../../domain/auth/caller.ts';
import { linesOfCaller } from './visibility.ts';

/** Records a new connection for the lines its caller may receive events of. */
export async function connect(id: string, caller: Caller, now = Date.now()): Promise<void> {
  const lines = hasRole(caller, 'admin') ? 'all' : await linesOfCaller(caller);
  await saveConnection(id, caller, lines === 'all' ? ['admins'] : lines.map((l) => l.__id), now);
}
