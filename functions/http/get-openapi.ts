import { route } from '../../lib/adapters/http/handler.ts';
import { openApiJson } from '../../lib/contract/openapi-document.ts';
import { getOpenApi } from '../../lib/contract/routes/docs.ts';

/** `GET /v1/openapi.json`: the OpenAPI 3.1 document of the route specs (built with the bundle; see lib/contract/openapi-document.ts). */
export const handler = route(getOpenApi, async () => ({
  body: openApiJson(),
  headers: { 'cache-control': 'public, max-age=300' },
}));
