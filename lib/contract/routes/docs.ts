/** The OpenAPI document. */
import { OpenApiDocumentSchema } from '../openapi.ts';
import { named, type RouteSpec } from '../spec.ts';

export const getOpenApi = {
  method: 'GET',
  path: '/v1/openapi.json',
  function: 'get-openapi',
  access: 'none',
  auth: false,
  summary: 'This document.',
  tag: 'docs',
  responses: { 200: { description: 'The OpenAPI 3.1 document', body: named('OpenApiDocument', OpenApiDocumentSchema) } },
  problems: [],
} as const satisfies RouteSpec;

export const docsRoutes: readonly RouteSpec[] = [getOpenApi];
