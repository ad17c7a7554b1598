import { deleteWebhook as spec } from '../infra/routes/events.ts';
import { route } from '../lib/http/handler.ts';
import { deleteWebhook } from '../lib/webhooks/webhooks.ts';

/** `DELETE /v1/webhooks/{id}`: stop a subscription. */
export const handler = route(spec, async ({ caller, params, idempotency }) => ({
  body: await deleteWebhook(caller, params.id, (hook) => idempotency({ body: hook })),
}));
