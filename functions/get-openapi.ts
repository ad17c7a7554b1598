import { routes } from '../infra/routes.ts';
import { route } from '../lib/http/handler.ts';
import { openApiDocument } from '../lib/http/openapi.ts';

let document: Record<string, unknown> | undefined;

/** `GET /v1/openapi.json`: the OpenAPI 3.1 document, generated once per instance from the schemas. */
export const handler = route({
  operation: 'get-openapi',
  auth: false,
  run: async () => ({ status: 200, body: (document ??= openApiDocument(routes)), headers: { 'cache-control': 'public, max-age=300' } }),
});
