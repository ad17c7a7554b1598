/**
 * Every answer the API tests receive through `host.call()` is checked against the OpenAPI
 * document: the route's declared response schema for that status, or the Problem
 * schema for an error; a status the document does not declare for the route fails too. Every
 * route of the manifest is documented (its spec is what the document is made of).
 * `CHATLINES_CHECK_RESPONSES=0` turns the check off.
 */
import { AssertionError } from 'node:assert';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { openApiDocument } from '../../lib/contract/openapi.ts';
import { pathPattern, routes } from '../../lib/contract/routes.ts';
import { routeKey } from '../../lib/contract/spec.ts';

type Json = Record<string, unknown>;

// ajv-formats is CommonJS: its default export arrives as the module or as the function.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => void;

const DOC_ID = 'https://chatlines.dev/openapi.json';

interface Checker {
  route: { method: string; path: string };
  pattern: RegExp;
}

let state: { ajv: Ajv2020; doc: Json; checkers: Checker[]; compiled: Map<string, ValidateFunction> } | undefined;

function load() {
  if (state) return state;
  const doc = openApiDocument(routes);
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: DOC_ID, components: (doc.components as Json) ?? {} });
  const checkers = routes
    .map((r) => ({ route: r, pattern: pathPattern(r.path) }))
    // As the hosts do: the most specific route (fewest parameters) wins.
    .sort((a, b) => a.route.path.split('{').length - b.route.path.split('{').length);
  state = { ajv, doc, checkers, compiled: new Map() };
  return state;
}

/** Whether answers are checked (on unless `CHATLINES_CHECK_RESPONSES=0`). */
export const responseCheckEnabled = () => process.env.CHATLINES_CHECK_RESPONSES !== '0';

/**
 * Throws an AssertionError when an answer of a documented route does not match the document.
 * `path` may carry a query string.
 */
export function checkResponse(method: string, path: string, status: number, contentType: string | null, body: unknown): void {
  const { ajv, doc, checkers, compiled } = load();
  const pathname = new URL(path, 'http://localhost').pathname;
  const upper = method.toUpperCase();
  const found = checkers.find((c) => c.route.method === upper && c.pattern.test(pathname));
  if (!found) return;
  const key = routeKey(found.route);
  const operation = (doc.paths as Record<string, Record<string, Json>>)[found.route.path]?.[upper.toLowerCase()];
  const responses = (operation?.responses ?? {}) as Record<string, Json>;
  const declared = responses[String(status)];
  if (!declared) {
    throw new AssertionError({
      message: `OpenAPI: ${key} answered ${status}, which the document does not declare (declared: ${Object.keys(responses).join(', ')})`,
    });
  }
  const content = declared.content as Record<string, { schema: Json }>;
  // A status may be answered in several media types (401/429: problem+json, or API Gateway's own JSON).
  const match = Object.entries(content).find(([type]) => (contentType ?? '').startsWith(type));
  if (!match) {
    throw new AssertionError({ message: `OpenAPI: ${key} ${status} came as ${contentType}, the document says ${Object.keys(content).join(' or ')}` });
  }
  const [mediaType, media] = match;
  const cacheKey = `${key} ${status} ${mediaType}`;
  let validate = compiled.get(cacheKey);
  if (!validate) {
    const ref = String(media.schema.$ref ?? '');
    validate = ajv.compile(ref ? { $ref: `${DOC_ID}${ref}` } : media.schema);
    compiled.set(cacheKey, validate);
  }
  if (!validate(body)) {
    const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`);
    throw new AssertionError({
      message: `OpenAPI: the ${status} answer of ${key} does not match the document:\n  ${errors.join('\n  ')}\nbody: ${JSON.stringify(body).slice(0, 600)}`,
    });
  }
}

/**
 * A `fetch` for the typed client in tests that applies the same check to every answer, so the
 * client's calls are held to the document just like `host.call()`.
 */
export function checkedFetch(inner: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    if (responseCheckEnabled()) {
      const url = new URL(String(input instanceof Request ? input.url : input));
      const text = await response.clone().text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: checked as text
      }
      checkResponse(init?.method ?? 'GET', `${url.pathname}${url.search}`, response.status, response.headers.get('content-type'), body);
    }
    return response;
  };
}
