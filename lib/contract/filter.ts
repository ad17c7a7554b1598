/**
 * The search filter language: its JSON shape (a zod schema, for the OpenAPI document and the
 * typed client), the field catalogue of each collection, and the parser that turns a request
 * into a checked filter tree. Pure: no AWS imports.
 *
 * A condition is `{ "<op>": ["<field>", <value>] }`; combinators are `{ "and": [...] }`,
 * `{ "or": [...] }`, `{ "not": <filter> }`. The parser checks every condition against the
 * collection's catalogue (unknown field, operator that does not fit the field's type, value of
 * the wrong type) and the limits below, and reports each problem with its path in the body
 * (`where.and.1.eq.0`), so a bad filter is a 400 that names what is wrong.
 */

import { LineChannelState, LineChannelType, LineClientBlockedStatus, LineSessionPriority, LineSessionState } from './enums.ts';
import { ChatlinesError, type FieldError } from './errors.ts';
import { AppItemRef, ChannelSchema, ClientSchema, LineSchema, SessionSchema } from './schemas.ts';
import * as z from './zod.ts';

// ------------------------------------------------------------------------------- limits

/** Deepest nesting of combinators: the root filter is depth 1. */
export const MAX_FILTER_DEPTH = 8;
/** Most conditions (leaves) in one filter. */
export const MAX_CONDITIONS = 50;
/** Most values in one `in` / `all` list. */
export const MAX_LIST_VALUES = 100;
export const DEFAULT_SIZE = 10;
export const MAX_SIZE = 1_000;
/** Largest `from` (items skipped): deeper pages should narrow the filter instead. */
export const MAX_FROM = 10_000;
export const MAX_SORT_KEYS = 4;
/** Longest string value in a condition. */
export const MAX_VALUE_LENGTH = 1_024;

// ------------------------------------------------------------------------- collections

export const COLLECTIONS = ['lines', 'channels', 'clients', 'sessions'] as const;
export type Collection = (typeof COLLECTIONS)[number];

export const OPERATORS = ['eq', 'neq', 'in', 'all', 'gt', 'gte', 'lt', 'lte'] as const;
export type Operator = (typeof OPERATORS)[number];

/**
 * Field types of the catalogue. Scalars: `string`, `enum`, `ref` (an object's id, compared by
 * id), `timestamp` (ISO 8601, compared as instants), `number`, `app-ref` (`{ code, id }`).
 * Arrays: `string-array`, `ref-array`, `app-ref-array` — `eq`/`neq`/`in` test the elements,
 * `all` needs every listed value to be among them.
 */
export type FieldKind = 'string' | 'enum' | 'ref' | 'timestamp' | 'number' | 'app-ref' | 'string-array' | 'ref-array' | 'app-ref-array';

export interface FieldSpec {
  readonly kind: FieldKind;
  /** The field may be null (or absent): `eq null`, `neq null`, `in [null, …]` are allowed. */
  readonly nullable?: boolean;
  /** Allowed values of an `enum`. */
  readonly values?: readonly string[];
}

const ARRAY_KINDS: ReadonlySet<FieldKind> = new Set(['string-array', 'ref-array', 'app-ref-array']);
export const isArrayKind = (kind: FieldKind) => ARRAY_KINDS.has(kind);

/** Which operators fit which field type. */
export const OPERATORS_BY_KIND: Record<FieldKind, readonly Operator[]> = {
  string: ['eq', 'neq', 'in', 'gt', 'gte', 'lt', 'lte'],
  timestamp: ['eq', 'neq', 'in', 'gt', 'gte', 'lt', 'lte'],
  number: ['eq', 'neq', 'in', 'gt', 'gte', 'lt', 'lte'],
  enum: ['eq', 'neq', 'in'],
  ref: ['eq', 'neq', 'in'],
  'app-ref': ['eq', 'neq', 'in'],
  'string-array': ['eq', 'neq', 'in', 'all'],
  'ref-array': ['eq', 'neq', 'in', 'all'],
  'app-ref-array': ['eq', 'neq', 'in', 'all'],
};

const values = (o: Record<string, string>) => Object.values(o);

const BASE_FIELDS: Record<string, FieldSpec> = {
  __id: { kind: 'ref' },
  __name: { kind: 'string' },
  __createdAt: { kind: 'timestamp' },
  __createdBy: { kind: 'string' },
  __updatedAt: { kind: 'timestamp' },
  __updatedBy: { kind: 'string' },
  __deletedAt: { kind: 'timestamp', nullable: true },
};

/**
 * The searchable fields of each collection. Everything in the model is searchable except
 * free-form maps (`_extraData`) and internal bookkeeping (`_beforeSpam`).
 */
export const FIELD_CATALOGUE: Record<Collection, Record<string, FieldSpec>> = {
  lines: {
    ...BASE_FIELDS,
    _operatorGroups: { kind: 'string-array' },
    _supervisorGroups: { kind: 'string-array' },
    _botId: { kind: 'string', nullable: true },
    _accountApp: { kind: 'string', nullable: true },
    _sessionApps: { kind: 'string-array' },
  },
  channels: {
    ...BASE_FIELDS,
    _line: { kind: 'ref' },
    _type: { kind: 'enum', values: values(LineChannelType) },
    _state: { kind: 'enum', values: values(LineChannelState) },
  },
  clients: {
    ...BASE_FIELDS,
    _line: { kind: 'ref' },
    _channel: { kind: 'ref' },
    _username: { kind: 'string' },
    _applicationItem: { kind: 'app-ref', nullable: true },
    _blockedStatus: { kind: 'enum', values: values(LineClientBlockedStatus) },
  },
  sessions: {
    ...BASE_FIELDS,
    _line: { kind: 'ref' },
    _channel: { kind: 'ref' },
    _clients: { kind: 'ref-array' },
    _state: { kind: 'enum', values: values(LineSessionState) },
    _priority: { kind: 'enum', nullable: true, values: values(LineSessionPriority) },
    _userId: { kind: 'string', nullable: true },
    _userGroupId: { kind: 'string', nullable: true },
    _botId: { kind: 'string', nullable: true },
    _apps: { kind: 'app-ref-array' },
    _acceptedAt: { kind: 'timestamp', nullable: true },
    _closedAt: { kind: 'timestamp', nullable: true },
    _lastActivityAt: { kind: 'timestamp' },
    _externalChatId: { kind: 'string', nullable: true },
    _externalChatName: { kind: 'string', nullable: true },
    _version: { kind: 'number' },
  },
};

// --------------------------------------------------------------------- the JSON shape

export type AppRefValue = { code: string; id: string };
export type Scalar = string | number | null | AppRefValue;
/** A filter as it travels in JSON. */
export type Filter =
  | { eq: [string, Scalar] }
  | { neq: [string, Scalar] }
  | { in: [string, Scalar[]] }
  | { all: [string, Scalar[]] }
  | { gt: [string, string | number] }
  | { gte: [string, string | number] }
  | { lt: [string, string | number] }
  | { lte: [string, string | number] }
  | { and: Filter[] }
  | { or: Filter[] }
  | { not: Filter };

const ScalarSchema = z.union([z.string(), z.number(), z.null(), AppItemRef]);
const condition = <K extends Operator>(op: K, value: z.ZodMiniType) =>
  z.strictObject({ [op]: z.tuple([z.string().check(z.describe('field name')), value]) } as unknown as Record<K, z.ZodMiniType>);

/**
 * The filter language as a zod schema (structure only: which fields, operators and values fit
 * a collection is checked by `parseSearch` against `FIELD_CATALOGUE`).
 */
export const FilterSchema: z.ZodMiniType<Filter> = z.lazy(() =>
  z.union([
    condition('eq', ScalarSchema),
    condition('neq', ScalarSchema),
    condition('in', z.array(ScalarSchema)),
    condition('all', z.array(ScalarSchema)),
    condition('gt', z.union([z.string(), z.number()])),
    condition('gte', z.union([z.string(), z.number()])),
    condition('lt', z.union([z.string(), z.number()])),
    condition('lte', z.union([z.string(), z.number()])),
    z.strictObject({ and: z.array(FilterSchema) }),
    z.strictObject({ or: z.array(FilterSchema) }),
    z.strictObject({ not: FilterSchema }),
  ]),
) as z.ZodMiniType<Filter>;

export const SortKeySchema = z.strictObject({
  field: z.string().check(z.minLength(1)),
  ascending: z._default(z.boolean(), true),
});
export type SortKey = { field: string; ascending: boolean };

const searchEnvelope = <W extends z.ZodMiniType>(where: W) =>
  z.strictObject({
    where: z.optional(where),
    from: z._default(z.number().check(z.int(), z.gte(0), z.lte(MAX_FROM)), 0),
    size: z._default(z.number().check(z.int(), z.gte(0), z.lte(MAX_SIZE)), DEFAULT_SIZE),
    sort: z._default(z.array(SortKeySchema).check(z.maxLength(MAX_SORT_KEYS)), []),
    count: z._default(z.boolean(), false),
  });

/** `POST /v1/{collection}/search` body, as documented. */
export const SearchRequest = searchEnvelope(FilterSchema);
/**
 * What the route parses with zod: the same envelope with `where` left to `parseSearch`, whose
 * catalogue-aware checks name the exact path of a bad condition (a zod union could only say
 * "no variant matched" at `where`).
 */
export const SearchRequestBody = searchEnvelope(z.unknown());
export type SearchRequestBody = z.output<typeof SearchRequestBody>;

export const PLAN_TYPES = ['get', 'query', 'sweep', 'empty'] as const;
export type PlanType = (typeof PLAN_TYPES)[number];

export const SearchPlanSchema = z.object({
  /** `get`: by id; `query`: an index's key narrows the read; `sweep`: the collection's own partitions, read in full; `empty`: nothing can match. */
  type: z.enum(PLAN_TYPES),
  /** `table`, `gsi1`…`gsi5`, or null for `empty`. */
  index: z.nullable(z.string()),
  /** DynamoDB requests made (Query pages and key lookups, including the caller's visible lines). */
  queries: z.number().check(z.int()),
  /** Items DynamoDB returned before the in-memory filter. */
  itemsRead: z.number().check(z.int()),
});
export type SearchPlanReport = z.infer<typeof SearchPlanSchema>;

/** The response of a search over items of `item`. */
export const searchResponseSchema = <S extends z.ZodMiniType>(item: S) =>
  z.object({
    items: z.array(item),
    /** Present when `count: true`: every matching item, ignoring `from` and `size`. */
    total: z.optional(z.number().check(z.int())),
    plan: SearchPlanSchema,
    /** DynamoDB's ReturnConsumedCapacity total for this search, in read capacity units. */
    consumedReadCapacity: z.number(),
  });

export const SearchResponse = {
  lines: searchResponseSchema(LineSchema),
  channels: searchResponseSchema(ChannelSchema),
  clients: searchResponseSchema(ClientSchema),
  sessions: searchResponseSchema(SessionSchema),
} as const;

// ---------------------------------------------------------------- the checked tree

export interface ConditionNode {
  kind: 'cond';
  op: Operator;
  field: string;
  spec: FieldSpec;
  /** A scalar for eq/neq/gt…; a list for in/all. */
  value: Scalar | Scalar[];
}
export type FilterNode = ConditionNode | { kind: 'and'; items: FilterNode[] } | { kind: 'or'; items: FilterNode[] } | { kind: 'not'; item: FilterNode };

export interface ParsedSearch {
  collection: Collection;
  /** Undefined: every item matches. */
  where: FilterNode | undefined;
  from: number;
  size: number;
  /** The requested keys followed by the tie-breakers (see `canonicalSort`). */
  sort: SortKey[];
  count: boolean;
}

const TIMESTAMP = z.iso.datetime({ offset: true });
const UUID = z.uuid();

/**
 * The full order of a search: the requested keys, then `__createdAt` descending (the default
 * order) unless already named, then `__id` in the direction of the `__createdAt` key — so every
 * order is total and repeatable, and the default is newest first.
 */
export function canonicalSort(requested: readonly SortKey[]): SortKey[] {
  const out = requested.map((k) => ({ field: k.field, ascending: k.ascending }));
  let created = out.find((k) => k.field === '__createdAt');
  if (!created) {
    created = { field: '__createdAt', ascending: false };
    out.push(created);
  }
  if (!out.some((k) => k.field === '__id')) out.push({ field: '__id', ascending: created.ascending });
  return out;
}

const SORTABLE: ReadonlySet<FieldKind> = new Set(['string', 'enum', 'ref', 'timestamp', 'number']);

class FilterParser {
  readonly errors: FieldError[] = [];
  conditions = 0;
  constructor(
    private readonly catalogue: Record<string, FieldSpec>,
    private readonly collection: Collection,
  ) {}

  fail(path: string, message: string): undefined {
    this.errors.push({ path, message });
    return undefined;
  }

  filter(raw: unknown, path: string, depth: number): FilterNode | undefined {
    if (depth > MAX_FILTER_DEPTH) return this.fail(path, `nested deeper than ${MAX_FILTER_DEPTH} levels`);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return this.fail(path, 'must be an object: a condition { "<op>": [field, value] } or { "and" | "or": [...] } or { "not": filter }');
    }
    const keys = Object.keys(raw);
    if (keys.length !== 1) return this.fail(path, `must have exactly one operator, found ${keys.length ? keys.join(', ') : 'none'}`);
    const op = keys[0]!;
    const arg = (raw as Record<string, unknown>)[op];
    const here = `${path}.${op}`;
    if (op === 'and' || op === 'or') {
      if (!Array.isArray(arg)) return this.fail(here, 'must be a list of filters');
      const items: FilterNode[] = [];
      arg.forEach((f, i) => {
        const node = this.filter(f, `${here}.${i}`, depth + 1);
        if (node) items.push(node);
      });
      return items.length === arg.length ? { kind: op, items } : undefined;
    }
    if (op === 'not') {
      const item = this.filter(arg, here, depth + 1);
      return item && { kind: 'not', item };
    }
    if (!(OPERATORS as readonly string[]).includes(op)) {
      return this.fail(here, `unknown operator "${op}" (use ${[...OPERATORS, 'and', 'or', 'not'].join(', ')})`);
    }
    return this.condition(op as Operator, arg, here);
  }

  condition(op: Operator, arg: unknown, path: string): ConditionNode | undefined {
    this.conditions += 1;
    if (this.conditions === MAX_CONDITIONS + 1) this.fail(path, `more than ${MAX_CONDITIONS} conditions`);
    if (!Array.isArray(arg) || arg.length !== 2) return this.fail(path, 'must be [field, value]');
    const [field, value] = arg as [unknown, unknown];
    if (typeof field !== 'string') return this.fail(`${path}.0`, 'the field name must be a string');
    const spec = Object.hasOwn(this.catalogue, field) ? this.catalogue[field] : undefined;
    if (!spec) {
      return this.fail(`${path}.0`, `unknown field "${field}" of ${this.collection} (known: ${Object.keys(this.catalogue).join(', ')})`);
    }
    if (!OPERATORS_BY_KIND[spec.kind].includes(op)) {
      return this.fail(path, `"${op}" does not fit ${field} (a ${spec.kind}); use ${OPERATORS_BY_KIND[spec.kind].join(', ')}`);
    }
    if (op === 'in' || op === 'all') {
      if (!Array.isArray(value)) return this.fail(`${path}.1`, `"${op}" takes a list of values`);
      if (value.length > MAX_LIST_VALUES) return this.fail(`${path}.1`, `more than ${MAX_LIST_VALUES} values`);
      const ok = value.map((v, i) => this.value(field, spec, v, `${path}.1.${i}`, op === 'in'));
      return ok.every(Boolean) ? { kind: 'cond', op, field, spec, value: value as Scalar[] } : undefined;
    }
    const nullable = op === 'eq' || op === 'neq';
    return this.value(field, spec, value, `${path}.1`, nullable) ? { kind: 'cond', op, field, spec, value: value as Scalar } : undefined;
  }

  /** Checks one value against the field's element type. */
  value(field: string, spec: FieldSpec, value: unknown, path: string, nullAllowed: boolean): boolean {
    if (value === null) {
      if (nullAllowed && spec.nullable) return true;
      this.fail(path, spec.nullable ? 'null is only allowed with eq, neq and in' : `${field} is never null`);
      return false;
    }
    const wrong = (what: string) => {
      this.fail(path, `${field} takes ${what}`);
      return false;
    };
    switch (spec.kind) {
      case 'string':
      case 'string-array':
        if (typeof value !== 'string') return wrong('a string');
        if (value.length > MAX_VALUE_LENGTH) return wrong(`a string of at most ${MAX_VALUE_LENGTH} characters`);
        return true;
      case 'ref':
      case 'ref-array':
        if (typeof value !== 'string' || !UUID.safeParse(value).success) return wrong('an object id (UUID)');
        return true;
      case 'enum':
        if (typeof value !== 'string' || !spec.values!.includes(value)) return wrong(`one of ${spec.values!.join(', ')}`);
        return true;
      case 'timestamp':
        if (typeof value !== 'string' || !TIMESTAMP.safeParse(value).success) return wrong('an ISO 8601 date-time with offset');
        return true;
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value)) return wrong('a number');
        return true;
      case 'app-ref':
      case 'app-ref-array':
        if (!AppItemRef.safeParse(value).success) return wrong('an app item link { "code", "id" }');
        return true;
    }
  }
}

/**
 * Checks a search request against the collection's catalogue and the limits. Throws a 400
 * (`invalid`) listing every problem with its path; returns the checked filter otherwise.
 */
export function parseSearch(collection: Collection, body: SearchRequestBody): ParsedSearch {
  const catalogue = FIELD_CATALOGUE[collection];
  const parser = new FilterParser(catalogue, collection);
  const where = body.where === undefined ? undefined : parser.filter(body.where, 'where', 1);
  body.sort.forEach((key, i) => {
    const spec = Object.hasOwn(catalogue, key.field) ? catalogue[key.field] : undefined;
    if (!spec) parser.fail(`sort.${i}.field`, `unknown field "${key.field}" of ${collection}`);
    else if (!SORTABLE.has(spec.kind)) parser.fail(`sort.${i}.field`, `${key.field} (a ${spec.kind}) cannot be sorted`);
    else if (body.sort.findIndex((k) => k.field === key.field) !== i) parser.fail(`sort.${i}.field`, `${key.field} is already a sort key`);
  });
  if (parser.errors.length) {
    const list = parser.errors.map((e) => `${e.path} (${e.message})`).join('; ');
    throw new ChatlinesError('invalid', `invalid search: ${list}`, parser.errors);
  }
  return { collection, where, from: body.from, size: body.size, sort: canonicalSort(body.sort), count: body.count };
}

/** The collection named in a search path (`/v1/sessions/search`, with or without a stage prefix). */
export function collectionOfPath(path: string | undefined): Collection | undefined {
  const m = /\/v1\/(lines|channels|clients|sessions)\/search\/?$/.exec(path ?? '');
  return m ? (m[1] as Collection) : undefined;
}
