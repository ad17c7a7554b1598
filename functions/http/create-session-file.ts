import { route } from '../../lib/adapters/http/handler.ts';
import { requestSessionUpload } from '../../lib/app/files/files.ts';
import { createSessionFile } from '../../lib/contract/routes/files.ts';

/** `POST /v1/sessions/{id}/files`: a pre-signed upload for whoever may write to the session. */
export const handler = route(createSessionFile, async ({ caller, params, body }) => ({ body: await requestSessionUpload(caller, params.id, body) }));
