/**
 * The OpenAPI document of the route manifest, as `GET /v1/openapi.json` serves it. Unbundled
 * (the local host, the tests) it is generated from the route specs on first use. Bundled,
 * infra/aws/bundling.ts puts in this module's place the document generated at build time
 * (gzipped, ~14 KB), so the function carries neither every route's schemas nor the generator.
 */
import { openApiDocument } from './openapi.ts';
import { routes } from './routes.ts';

let document: Record<string, unknown> | undefined;

export function openApiJson(): Record<string, unknown> {
  document ??= openApiDocument(routes);
  return document;
}
