/**
 * `collection.search()`: the seed's search builder over `POST /v1/{collection}/search`.
 * Each call returns a new builder, so a partly built search can be reused.
 */
import { type Combinators, combinators, type Fields, type Filter, fieldProxy } from './filter.ts';
import { ChatlinesApiError, type Transport } from './transport.ts';

/** One sort key of a search request. */
export interface SortKey {
  field: string;
  ascending: boolean;
}

/** Body of `POST /v1/{collection}/search` (the contract's search request). */
export interface SearchRequestBody {
  where?: Filter;
  from: number;
  size: number;
  sort?: SortKey[];
  count?: boolean;
}

/** Answer of a search: a page of items, and the number of all matches when asked for. */
export interface SearchPage<D> {
  items: D[];
  total?: number;
}

interface State {
  where: Filter | undefined;
  from: number;
  size: number;
  sort: SortKey[];
}

/** The page size when `.size()` is not called (as in the seed). */
export const DEFAULT_SEARCH_SIZE = 10;

/**
 * A search over one collection. `M` is the collection's field map (what `f` offers), `D` the
 * data of its objects, `I` the item class `first()` and `all()` return.
 */
export class Search<M, D, I> {
  constructor(
    private readonly transport: Transport,
    private readonly collection: string,
    private readonly wrap: (data: D) => I,
    private readonly state: State = { where: undefined, from: 0, size: DEFAULT_SEARCH_SIZE, sort: [] },
  ) {}

  private with(change: Partial<State>): Search<M, D, I> {
    return new Search(this.transport, this.collection, this.wrap, { ...this.state, ...change });
  }

  /**
   * The condition: `.where((f, g) => g.and(f.__deletedAt.eq(null), f._state.neq(LineSessionState.Closed)))`.
   * Calling `where` again adds its condition with `and`.
   */
  where(build: (f: Fields<M>, g: Combinators) => Filter): Search<M, D, I> {
    const filter = build(fieldProxy<M>(), combinators);
    return this.with({ where: this.state.where ? { and: [this.state.where, filter] } : filter });
  }

  /** Skips the first `n` matches. */
  from(n: number): Search<M, D, I> {
    return this.with({ from: n });
  }

  /** At most `n` items per answer (default 10). */
  size(n: number): Search<M, D, I> {
    return this.with({ size: n });
  }

  /** Orders by a field; calling again adds a further key. Ascending unless told otherwise. */
  sort(field: keyof M & string, ascending = true): Search<M, D, I> {
    return this.with({ sort: [...this.state.sort, { field, ascending }] });
  }

  /** The request body this search sends (for logging and tests). */
  toJSON(): SearchRequestBody {
    return {
      ...(this.state.where ? { where: this.state.where } : {}),
      from: this.state.from,
      size: this.state.size,
      ...(this.state.sort.length ? { sort: this.state.sort } : {}),
    };
  }

  private async send(body: SearchRequestBody): Promise<SearchPage<D>> {
    return this.transport.request<SearchPage<D>>('POST', `/v1/${this.collection}/search`, { body, readOnly: true });
  }

  /** The matches (one page: `from`, `size`), in order. */
  async all(): Promise<I[]> {
    const page = await this.send(this.toJSON());
    return page.items.map(this.wrap);
  }

  /**
   * The first match. Throws {@link ChatlinesApiError} with status 404 when nothing matches, so
   * that the seed's `const s = await ....first(); await s.close();` compiles under `strict`
   * and fails clearly; use {@link firstOrUndefined} to test for absence.
   */
  async first(): Promise<I> {
    const found = await this.firstOrUndefined();
    if (found === undefined) {
      throw new ChatlinesApiError(
        {
          type: 'https://chatlines.dev/problems/not-found',
          title: 'Not found',
          status: 404,
          detail: `no ${this.collection} match ${JSON.stringify(this.state.where ?? {})}`,
        },
        `POST /v1/${this.collection}/search`,
      );
    }
    return found;
  }

  /** The first match, or `undefined` when nothing matches. */
  async firstOrUndefined(): Promise<I | undefined> {
    const page = await this.send({ ...this.toJSON(), size: 1 });
    const data = page.items[0];
    return data === undefined ? undefined : this.wrap(data);
  }

  /** How many objects match (ignores `from` and `size`; asks for no items, only the total). */
  async count(): Promise<number> {
    const page = await this.send({ ...this.toJSON(), from: 0, size: 0, count: true });
    if (typeof page.total !== 'number') throw new TypeError(`the ${this.collection} search answered without a total`);
    return page.total;
  }
}
