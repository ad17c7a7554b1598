import { route } from '../../lib/adapters/http/handler.ts';
import { listTemplates } from '../../lib/app/templates/templates.ts';
import { listLineTemplates as spec } from '../../lib/contract/routes/support.ts';

/** `GET /v1/lines/{id}/templates`: the line's response templates. */
export const handler = route(spec, async ({ caller, params }) => ({ body: await listTemplates(caller, params.id) }));
