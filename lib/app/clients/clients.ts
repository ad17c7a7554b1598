/**
 * Client changes (`client.save()`): the link to an app item (`_applicationItem`), only to the
 * app the line allows for account links, and the block status (supervisors and admins).
 * A blocked client's next session opens straight in `MarkedAsSpam` (lib/app/sessions/open.ts).
 */

import type { TransactItem } from '../../adapters/dynamodb/db.ts';
import { writeOnly } from '../../adapters/dynamodb/db.ts';
import { getClientWithOperator, getLineCached, updateClient } from '../../adapters/dynamodb/lines.ts';
import { type Caller, hasRole } from '../../contract/caller.ts';
import { invalid, notFound } from '../../contract/errors.ts';
import type { Client, UpdateClientBody } from '../../contract/schemas.ts';
import type * as z from '../../contract/zod.ts';
import { authorizeClientUpdate, canSeeLine } from '../../domain/auth/policy.ts';
import { nowIso } from '../../domain/ids.ts';

export async function updateClientFields(
  caller: Caller,
  id: string,
  body: z.output<typeof UpdateClientBody>,
  extra: (client: Client) => TransactItem[],
): Promise<Client> {
  const presence = hasRole(caller, 'operator') && !hasRole(caller, 'admin');
  const { client, operator } = await getClientWithOperator(id, presence ? caller.sub : undefined);
  // An erased client is a tombstone: nothing about it may be changed (or learnt) any more.
  if (client.__deletedAt) throw notFound('client', id);
  const line = await getLineCached(client._line);
  if (!canSeeLine(caller, line)) throw notFound('client', id);
  authorizeClientUpdate(caller, line, operator, { blockedStatus: body._blockedStatus !== undefined });
  const link = body._applicationItem;
  if (link) {
    if (!line._accountApp) throw invalid('_applicationItem', 'this line allows no account links (it has no _accountApp)');
    if (link.code !== line._accountApp) {
      throw invalid('_applicationItem.code', `clients of this line can be linked to ${line._accountApp} items only`);
    }
  }
  const patch: Partial<Client> = {};
  if (body.__name !== undefined && body.__name !== client.__name) patch.__name = body.__name;
  if (link !== undefined && JSON.stringify(link) !== JSON.stringify(client._applicationItem)) patch._applicationItem = link;
  if (body._blockedStatus !== undefined && body._blockedStatus !== client._blockedStatus) patch._blockedStatus = body._blockedStatus;
  if (Object.keys(patch).length === 0) {
    await writeOnly(extra(client));
    return client;
  }
  const now = nowIso();
  const after: Client = { ...client, ...patch, __updatedAt: now, __updatedBy: caller.sub };
  await updateClient(client, after, extra(after));
  return after;
}
