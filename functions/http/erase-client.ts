import { route } from '../../lib/adapters/http/handler.ts';
import { eraseClient } from '../../lib/app/clients/privacy.ts';
import { eraseClient as spec } from '../../lib/contract/routes/support.ts';

/** `DELETE /v1/clients/{id}`: an admin erases a client's personal data (200 done, 202 call again). */
export const handler = route(spec, async ({ caller, params, idempotency }) => {
  const { erasure, finished } = await eraseClient(caller, params.id, (e) => idempotency({ body: e }));
  return { status: finished ? 200 : 202, body: erasure };
});
