import { route } from '../../lib/adapters/http/handler.ts';
import { deleteWebhook } from '../../lib/app/webhooks/webhooks.ts';
import { deleteWebhook as spec } from '../../lib/contract/routes/events.ts';

/** `DELETE /v1/webhooks/{id}`: stop a subscription. */
export const handler = route(spec, async ({ caller, params, idempotency }) => ({
  body: await deleteWebhook(caller, params.id, (hook) => idempotency({ body: hook })),
}));
