/**
 * Checks the claim behind the zod/mini plan (docs/benchmarks.md): the same schema written for
 * classic zod and for zod/mini (English locale) gives the same JSON Schema (OpenAPI) and the same
 * issues (problem+json). Run: node --import tsx bench/zod-mini-check.ts
 */
import * as c from 'zod';
import { en } from 'zod/locales';
import * as m from 'zod/mini';

m.config(en());
const C = c
  .strictObject({
    a: c
      .string()
      .min(1)
      .max(100)
      .regex(/^[a-z]+$/),
    b: c.enum(['x', 'y']),
    c: c
      .array(c.strictObject({ d: c.number().int().nonnegative(), e: c.string().nullable() }))
      .max(50)
      .optional(),
    e: c.iso.datetime(),
    h: c.boolean().default(false),
    k: c.number().refine((n) => n % 2 === 0, 'even'),
  })
  .describe('probe');
const M = m
  .strictObject({
    a: m.string().check(m.minLength(1), m.maxLength(100), m.regex(/^[a-z]+$/)),
    b: m.enum(['x', 'y']),
    c: m.optional(m.array(m.strictObject({ d: m.int().check(m.nonnegative()), e: m.nullable(m.string()) })).check(m.maxLength(50))),
    e: m.iso.datetime(),
    h: m._default(m.boolean(), false),
    k: m.number().check(m.refine((n) => n % 2 === 0, 'even')),
  })
  .register(m.globalRegistry, { description: 'probe' });
const js = (s: unknown, f: typeof c.toJSONSchema) => JSON.stringify(f(s as never, { io: 'input' }));
console.log('jsonschema equal', js(C, c.toJSONSchema) === js(M, m.toJSONSchema));
if (js(C, c.toJSONSchema) !== js(M, m.toJSONSchema)) {
  console.log(js(C, c.toJSONSchema));
  console.log(js(M, m.toJSONSchema));
}
for (const bad of [{}, { a: '', b: 'z', c: [{ d: -1.5, e: 3 }], e: 'no', h: 'x', k: 3, extra: 1 }, { a: 'A'.repeat(200) }]) {
  const x = C.safeParse(bad);
  const y = M.safeParse(bad);
  const mx = JSON.stringify(x.error?.issues);
  const my = JSON.stringify(y.error?.issues);
  console.log('issues equal', mx === my);
  if (mx !== my) {
    console.log(mx);
    console.log(my);
  }
}
