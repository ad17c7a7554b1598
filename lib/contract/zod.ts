/**
 * The one zod every runtime module uses: `zod/mini`, whose functions tree-shake, where classic
 * `zod` keeps every schema class, method and locale in each bundle (~97 KB against ~34 KB).
 * zod/mini has no locale by default ("Invalid input"); the English one keeps the problem+json
 * messages classic zod gave, word for word. Tests, bench and infra may use classic `zod`; the
 * architecture lint keeps it out of `functions/` and `lib/{contract,domain,app,adapters}`.
 *
 * Import it as a namespace (`import * as z from '…/contract/zod.ts'`): esbuild then keeps only
 * the members a bundle uses. Re-exporting the namespace as one value would keep all of zod/mini,
 * locales included.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
