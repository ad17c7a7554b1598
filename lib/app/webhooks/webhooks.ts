/**
 * Webhook subscriptions: create (with its secret, shown once), list, delete, a subscription's
 * deliveries, and the retry of a failed delivery. The deliveries themselves are made by the
 * stream consumer (lib/app/events/consumer.ts) and the sweeper (deliveries.ts).
 */

import { getItems, type Item, type TransactItem } from '../../adapters/dynamodb/db.ts';
import { deliveryKey, webhookKey } from '../../adapters/dynamodb/keys.ts';
import { findLine, getLineCached } from '../../adapters/dynamodb/lines.ts';
import {
  allWebhooks,
  findWebhook,
  insertWebhook,
  newestDeliveryKeys,
  removeWebhook,
  retryFailedDelivery,
  webhookOf,
} from '../../adapters/dynamodb/webhooks.ts';
import { checkTargetUrl } from '../../adapters/http/urls.ts';
import { type Caller, requireRole } from '../../contract/caller.ts';
import { conflict, notFound } from '../../contract/errors.ts';
import type { Line } from '../../contract/schemas.ts';
import type { CreateWebhookBody, Delivery, Webhook } from '../../contract/webhooks.ts';
import type * as z from '../../contract/zod.ts';
import { canSeeWebhook, requireWebhookManager } from '../../domain/auth/policy.ts';
import { newId, nowIso } from '../../domain/ids.ts';
import { newSecret } from '../../domain/webhooks/signing.ts';
import { deliveryView, forgetEndpoint } from './deliveries.ts';
import { forgetSubscriptions } from './subscriptions.ts';

async function lineOrUndefined(id: string | null): Promise<Line | undefined> {
  if (!id) return undefined;
  try {
    return await getLineCached(id);
  } catch {
    return undefined;
  }
}

/** `POST /v1/webhooks`. */
export async function createWebhook(
  caller: Caller,
  input: z.output<typeof CreateWebhookBody>,
  extra: (hook: Webhook & { secret: string }) => TransactItem[],
): Promise<Webhook & { secret: string }> {
  const line = input.line ? await findLine(input.line) : undefined;
  if (input.line && !line) {
    // Existence of other lines does not leak to non-admins.
    throw notFound('line', input.line);
  }
  requireWebhookManager(caller, line);
  await checkTargetUrl(input.url, 'url');
  const now = nowIso();
  const hook: Webhook = {
    __id: newId(),
    url: input.url,
    events: [...new Set(input.events)],
    line: input.line ?? null,
    __createdAt: now,
    __createdBy: caller.sub,
  };
  const secret = newSecret();
  const created = { ...hook, secret };
  await insertWebhook(hook, secret, extra(created));
  forgetSubscriptions();
  return created;
}

async function visibleWebhook(caller: Caller, id: string, read?: Item | null): Promise<Webhook> {
  const hook = read === undefined ? await findWebhook(id) : read && webhookOf(read);
  if (!hook) throw notFound('webhook', id);
  if (!canSeeWebhook(caller, await lineOrUndefined(hook.line))) throw notFound('webhook', id);
  return hook;
}

/** `GET /v1/webhooks`: the subscriptions the caller may see, newest first (no secrets). */
export async function listWebhooks(caller: Caller): Promise<Webhook[]> {
  requireRole(caller, 'admin', 'supervisor');
  const out: Webhook[] = [];
  for await (const page of allWebhooks()) {
    for (const hook of page) if (canSeeWebhook(caller, await lineOrUndefined(hook.line))) out.push(hook);
    if (out.length >= 1_000) break;
  }
  return out;
}

/** `DELETE /v1/webhooks/{id}`: no more deliveries; pending ones fail ("the subscription was deleted"). */
export async function deleteWebhook(caller: Caller, id: string, extra: (hook: Webhook) => TransactItem[]): Promise<Webhook> {
  const hook = await visibleWebhook(caller, id);
  requireWebhookManager(caller, await lineOrUndefined(hook.line));
  await removeWebhook(id, extra(hook));
  forgetEndpoint({ kind: 'webhook', id });
  forgetSubscriptions();
  return hook;
}

/**
 * `GET /v1/webhooks/{id}/deliveries`: newest first, merged from the shards of the target's
 * deliveries by their keys; only the page's items are then read (one BatchGetItem).
 */
export async function listDeliveries(caller: Caller, id: string, from: number, size: number): Promise<Delivery[]> {
  await visibleWebhook(caller, id);
  const page = (await newestDeliveryKeys({ kind: 'webhook', id }, from + size)).slice(from);
  const items = await getItems(page);
  return items.filter((i) => i !== undefined).map(deliveryView);
}

/**
 * `POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry`: a failed delivery is attempted once
 * more, soon. The change and `extra` (the request's idempotency record) in one transaction, so a
 * repeat with the same `Idempotency-Key` gets the first answer and retries nothing.
 */
export async function retryDelivery(caller: Caller, id: string, deliveryId: string, extra: (delivery: Delivery) => TransactItem[]): Promise<Delivery> {
  const key = deliveryKey({ kind: 'webhook', id }, deliveryId);
  // The subscription and the delivery in one BatchGetItem, then the conditional write: 2 round trips.
  const [hookItem, current] = await getItems([webhookKey(id), key]);
  const hook = await visibleWebhook(caller, id, hookItem ?? null);
  requireWebhookManager(caller, await lineOrUndefined(hook.line));
  if (!current) throw notFound('delivery', deliveryId);
  if (current.status !== 'failed') throw conflict(`the delivery is ${String(current.status)}: only a failed delivery can be retried`);
  const now = nowIso();
  // A failed delivery is touched by nobody else (attempts claim pending ones only): the item as
  // read, with this change, is the item as written.
  const after = deliveryView({ ...current, status: 'pending', nextAttemptAt: now, manual: true });
  await retryFailedDelivery(key, now, extra(after));
  return after;
}
