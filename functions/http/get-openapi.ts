import { route } from '../../lib/adapters/http/handler.ts';
import { openApiDocument } from '../../lib/contract/openapi.ts';
import { getOpenApi } from '../../lib/contract/routes/docs.ts';
import { routes } from '../../lib/contract/routes.ts';

let document: Record<string, unknown> | undefined;

/** `GET /v1/openapi.json`: the OpenAPI 3.1 document, generated once per instance from the route specs. */
export const handler = route(getOpenApi, async () => ({
  body: (document ??= openApiDocument(routes)),
  headers: { 'cache-control': 'public, max-age=300' },
}));
