/**
 * The search filter builder of the seed (`(f, g) => g.and(f.__deletedAt.eq(null), ...)`),
 * typed per collection, and its JSON form (the filter language of the HTTP contract):
 * `{ "and": [ { "eq": ["__deletedAt", null] }, { "neq": ["_state", "Closed"] } ] }`.
 *
 * A collection describes its searchable fields as a map from field name to value type; an
 * array type marks an array field (`_clients`). `f.<name>` then offers the operators that fit:
 * a field that does not exist, or a value of the wrong type, does not compile.
 */

/** A reference to one of our objects: its id, or anything carrying it (an item or a ref). */
export type RefTo<K extends string> = string | { readonly id: string; readonly kind: K };
/** A timestamp: an ISO 8601 string or a Date. */
export type Time = string | Date;

/** A filter in the JSON filter language. */
export type Filter =
  | { readonly eq: readonly [string, unknown] }
  | { readonly neq: readonly [string, unknown] }
  | { readonly in: readonly [string, readonly unknown[]] }
  | { readonly all: readonly [string, readonly unknown[]] }
  | { readonly gt: readonly [string, unknown] }
  | { readonly gte: readonly [string, unknown] }
  | { readonly lt: readonly [string, unknown] }
  | { readonly lte: readonly [string, unknown] }
  | { readonly and: readonly Filter[] }
  | { readonly or: readonly Filter[] }
  | { readonly not: Filter };

/** Operators of a single-valued field holding `V` (`null` where the field may be unset). */
export interface ScalarField<V> {
  /** Equal; `eq(null)` matches an absent or null field. */
  eq(value: V | null): Filter;
  /** Not equal; `neq(null)` matches a set field. */
  neq(value: V | null): Filter;
  /** One of the values. */
  in(values: readonly NonNullable<V>[]): Filter;
  gt(value: NonNullable<V>): Filter;
  gte(value: NonNullable<V>): Filter;
  lt(value: NonNullable<V>): Filter;
  lte(value: NonNullable<V>): Filter;
}

/** Operators of an array field whose elements are `E`: they test the elements. */
export interface ArrayField<E> {
  /** The array holds the value. */
  eq(value: E): Filter;
  /** The array does not hold the value. */
  neq(value: E): Filter;
  /** The array holds every one of the values. */
  all(values: readonly E[]): Filter;
  /** The array holds at least one of the values. */
  in(values: readonly E[]): Filter;
}

/** The operators of a field of type `V`: arrays get `all`/`in`, everything else the scalar set. */
export type FieldOperators<V> = [V] extends [readonly (infer E)[]] ? ArrayField<E> : ScalarField<V>;

/** `f` of a collection whose field map is `M`. */
export type Fields<M> = { readonly [K in keyof M]-?: FieldOperators<M[K]> };

/** `g`: the combinators. */
export interface Combinators {
  and(...filters: Filter[]): Filter;
  or(...filters: Filter[]): Filter;
  not(filter: Filter): Filter;
}

/**
 * What travels for a value: the id for one of our items or refs (anything with `id`), ISO
 * strings for dates, and `{ code, id }` for an app item link (it has a `code`).
 */
export function wireValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(wireValue);
  if (typeof value === 'object' && value !== null) {
    const v = value as { id?: unknown; code?: unknown };
    if (typeof v.code === 'string' && typeof v.id === 'string') return { code: v.code, id: v.id };
    if (typeof v.id === 'string') return v.id;
  }
  return value;
}

function scalar(name: string): ScalarField<unknown> & ArrayField<unknown> {
  const cond =
    (op: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte') =>
    (value: unknown): Filter =>
      ({ [op]: [name, wireValue(value)] }) as unknown as Filter;
  const list =
    (op: 'in' | 'all') =>
    (values: readonly unknown[]): Filter => {
      if (!Array.isArray(values)) throw new TypeError(`${name}.${op}() takes an array`);
      return { [op]: [name, values.map(wireValue)] } as unknown as Filter;
    };
  return { eq: cond('eq'), neq: cond('neq'), gt: cond('gt'), gte: cond('gte'), lt: cond('lt'), lte: cond('lte'), in: list('in'), all: list('all') };
}

/**
 * `f` for any field map: a proxy that makes the operators of whatever field is asked for. The
 * types above decide which fields and operators compile; at run time every name works, which
 * is what plain JavaScript callers get (the server still refuses unknown fields with a 400).
 */
export function fieldProxy<M>(): Fields<M> {
  return new Proxy({} as Fields<M>, {
    get: (_target, name) => (typeof name === 'string' ? scalar(name) : undefined),
  });
}

/** `g`. */
export const combinators: Combinators = {
  and: (...filters) => ({ and: filters }),
  or: (...filters) => ({ or: filters }),
  not: (filter) => ({ not: filter }),
};
