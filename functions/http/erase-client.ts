import { route } from '../../lib/adapters/http/handler.ts';
import { eraseClient } from '../../lib/app/clients/privacy.ts';
import { eraseClient as spec } from '../../lib/contract/routes/support.ts';

/**
 * `DELETE /v1/clients/{id}`: an admin erases a client's personal data (200 done, 202 call again).
 * The erasure is idempotent by itself, so no answer is recorded for an `Idempotency-Key`: a
 * repeat (with the same key or none) goes on from where the erasure stands, never replays a stale `running`.
 */
export const handler = route(spec, async ({ caller, params }) => {
  const { erasure, finished } = await eraseClient(caller, params.id, () => []);
  return { status: finished ? 200 : 202, body: erasure };
});
