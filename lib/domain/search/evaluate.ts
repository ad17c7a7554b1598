/**
 * The reference semantics of the filter language, in memory and pure. The executor applies
 * exactly this to whatever a key or index returned, so an index only ever decides what is
 * *read*, never what *matches*; the tests compare DynamoDB-backed searches with this.
 *
 * - `eq v`: the field equals v; on an array field, one element equals v. `eq null` matches a
 *   null or absent field.
 * - `neq v`: not `eq v` (so `neq null` matches a field that is set; `neq v` matches null).
 * - `in [vs]`: `eq` one of vs (an empty list matches nothing); on an array field, one element
 *   is among vs.
 * - `all [vs]`: the array field holds every one of vs (an empty list matches everything).
 * - `gt`/`gte`/`lt`/`lte`: strings by code unit order, timestamps as instants, numbers as
 *   numbers; a null or absent field never compares.
 * - `and []` matches everything, `or []` nothing, `not f` the complement.
 * - Order: by the keys of `canonicalSort`; null or absent values sort last whatever the
 *   direction; enums sort by their wire value; the sort is stable.
 */
import {
  type Collection,
  FIELD_CATALOGUE,
  type FieldSpec,
  type FilterNode,
  isArrayKind,
  type ParsedSearch,
  type Scalar,
  type SortKey,
} from '../../contract/filter.ts';

export type Model = Record<string, unknown>;

const isNullish = (v: unknown) => v === null || v === undefined;

/** Equality of one stored element and one filter value, by the field's type. */
function same(spec: FieldSpec, stored: unknown, value: Scalar): boolean {
  if (value === null) return isNullish(stored);
  if (isNullish(stored)) return false;
  switch (spec.kind) {
    case 'timestamp':
      return typeof stored === 'string' && typeof value === 'string' && Date.parse(stored) === Date.parse(value);
    case 'app-ref':
    case 'app-ref-array': {
      const s = stored as { code?: unknown; id?: unknown };
      const v = value as { code: string; id: string };
      return typeof s === 'object' && s.code === v.code && s.id === v.id;
    }
    default:
      return stored === value;
  }
}

/** Order of two non-null values of one field: negative, zero or positive. */
function order(spec: FieldSpec, a: unknown, b: unknown): number {
  if (spec.kind === 'timestamp') return Date.parse(a as string) - Date.parse(b as string);
  if (spec.kind === 'number') return (a as number) - (b as number);
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function condition(node: Extract<FilterNode, { kind: 'cond' }>, item: Model): boolean {
  const { spec, op, value } = node;
  const stored = item[node.field];
  if (isArrayKind(spec.kind)) {
    const elements = Array.isArray(stored) ? stored : [];
    switch (op) {
      case 'eq':
        return elements.some((e) => same(spec, e, value as Scalar));
      case 'neq':
        return !elements.some((e) => same(spec, e, value as Scalar));
      case 'in':
        return (value as Scalar[]).some((v) => elements.some((e) => same(spec, e, v)));
      case 'all':
        return (value as Scalar[]).every((v) => elements.some((e) => same(spec, e, v)));
      default:
        return false; // the parser refuses ordering operators on arrays
    }
  }
  switch (op) {
    case 'eq':
      return same(spec, stored, value as Scalar);
    case 'neq':
      return !same(spec, stored, value as Scalar);
    case 'in':
      return (value as Scalar[]).some((v) => same(spec, stored, v));
    case 'all':
      return false; // the parser refuses `all` on scalars
    case 'gt':
      return !isNullish(stored) && order(spec, stored, value) > 0;
    case 'gte':
      return !isNullish(stored) && order(spec, stored, value) >= 0;
    case 'lt':
      return !isNullish(stored) && order(spec, stored, value) < 0;
    case 'lte':
      return !isNullish(stored) && order(spec, stored, value) <= 0;
  }
}

/** Whether an item matches a filter (undefined: no filter, everything matches). */
export function matches(node: FilterNode | undefined, item: Model): boolean {
  if (!node) return true;
  switch (node.kind) {
    case 'cond':
      return condition(node, item);
    case 'and':
      return node.items.every((n) => matches(n, item));
    case 'or':
      return node.items.some((n) => matches(n, item));
    case 'not':
      return !matches(node.item, item);
  }
}

/** A comparator for the given sort keys of a collection (nulls last in either direction). */
export function comparator(collection: Collection, sort: readonly SortKey[]): (a: Model, b: Model) => number {
  const catalogue = FIELD_CATALOGUE[collection];
  const keys = sort.map((k) => ({ ...k, spec: catalogue[k.field] ?? { kind: 'string' as const } }));
  return (a, b) => {
    for (const key of keys) {
      const x = a[key.field];
      const y = b[key.field];
      const nx = isNullish(x);
      const ny = isNullish(y);
      if (nx || ny) {
        if (nx && ny) continue;
        return nx ? 1 : -1;
      }
      const c = order(key.spec, x, y);
      if (c !== 0) return key.ascending ? c : -c;
    }
    return 0;
  };
}

export interface Evaluated<T> {
  items: T[];
  total?: number;
}

/**
 * A whole search over items held in memory: filter, stable sort, `from`/`size`, and the total
 * when `count` is asked for. The executor ends with this same function.
 */
export function evaluate<T extends Model>(search: ParsedSearch, items: readonly T[]): Evaluated<T> {
  const found = items.filter((item) => matches(search.where, item));
  found.sort(comparator(search.collection, search.sort));
  const page = found.slice(search.from, search.from + search.size);
  return search.count ? { items: page, total: found.length } : { items: page };
}
