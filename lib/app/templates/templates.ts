/**
 * Response templates: a line's canned replies. Supervisors and admins of the line write them,
 * whoever sees the line reads them; a text that names an unknown variable is refused when it is
 * saved (lib/domain/templates/render.ts). They are filled when sent
 * (lib/app/sessions/operations.ts, `{ template }`).
 */

import type { TransactItem } from '../../adapters/dynamodb/db.ts';
import { writeOnly } from '../../adapters/dynamodb/db.ts';
import { getLineCached } from '../../adapters/dynamodb/lines.ts';
import { deleteTemplate, getTemplate, insertTemplate, lineTemplates, replaceTemplate } from '../../adapters/dynamodb/templates.ts';
import type { Caller } from '../../contract/caller.ts';
import { conflict, notFound } from '../../contract/errors.ts';
import { type CreateTemplateBody, MAX_TEMPLATES_PER_LINE, type Template, type UpdateTemplateBody } from '../../contract/schemas.ts';
import type * as z from '../../contract/zod.ts';
import { canSeeLine, requireTemplateWriter, visibleLine } from '../../domain/auth/policy.ts';
import { newBaseFields, nowIso } from '../../domain/ids.ts';
import { checkTemplateText } from '../../domain/templates/render.ts';

/** `GET /v1/lines/{id}/templates`: by shortcut. */
export async function listTemplates(caller: Caller, lineId: string): Promise<{ items: Template[] }> {
  const line = visibleLine(caller, await getLineCached(lineId));
  return { items: await lineTemplates(line.__id) };
}

/** `POST /v1/lines/{id}/templates`: a shortcut is unique within its line (409 otherwise). */
export async function createTemplate(
  caller: Caller,
  lineId: string,
  body: z.output<typeof CreateTemplateBody>,
  extra: (template: Template) => TransactItem[],
): Promise<Template> {
  const line = await getLineCached(lineId);
  requireTemplateWriter(caller, line);
  checkTemplateText(body._text, '_text');
  const existing = await lineTemplates(line.__id);
  if (existing.length >= MAX_TEMPLATES_PER_LINE) throw conflict(`a line holds at most ${MAX_TEMPLATES_PER_LINE} templates; delete one first`);
  const taken = new Set(existing.map((t) => t._shortcut));
  if (body._shortcut !== undefined && taken.has(body._shortcut)) throw conflict(`the line already has a template with the shortcut ${body._shortcut}`);
  const base = newBaseFields(body.__name, caller.sub, nowIso());
  const shortcut = body._shortcut ?? shortcutOf(body.__name, base.__id, taken);
  const template: Template = { ...base, _line: line.__id, _shortcut: shortcut, _text: body._text };
  await insertTemplate(template, extra(template));
  return template;
}

/** A shortcut from a name (`Shipping times` → `shipping-times`), made unique on the line with a piece of the id. */
export function shortcutOf(name: string, id: string, taken: ReadonlySet<string>): string {
  const slug =
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^[-_]+|-+$/g, '')
      .slice(0, 24) || 't';
  return taken.has(slug) ? `${slug}-${id.slice(0, 6)}` : slug;
}

/** A template the caller sees (404 otherwise), with its line. */
async function visibleTemplate(caller: Caller, id: string): Promise<Template> {
  const template = await getTemplate(id);
  const line = await getLineCached(template._line);
  if (!canSeeLine(caller, line)) throw notFound('template', id);
  requireTemplateWriter(caller, line);
  return template;
}

/** `PATCH /v1/templates/{id}`. */
export async function updateTemplate(
  caller: Caller,
  id: string,
  body: z.output<typeof UpdateTemplateBody>,
  extra: (template: Template) => TransactItem[],
): Promise<Template> {
  const template = await visibleTemplate(caller, id);
  if (body._text !== undefined) checkTemplateText(body._text, '_text');
  if (body._shortcut !== undefined && body._shortcut !== template._shortcut) {
    const others = await lineTemplates(template._line);
    if (others.some((t) => t._shortcut === body._shortcut && t.__id !== id))
      throw conflict(`the line already has a template with the shortcut ${body._shortcut}`);
  }
  const patch: Partial<Template> = {};
  if (body.__name !== undefined && body.__name !== template.__name) patch.__name = body.__name;
  if (body._shortcut !== undefined && body._shortcut !== template._shortcut) patch._shortcut = body._shortcut;
  if (body._text !== undefined && body._text !== template._text) patch._text = body._text;
  if (Object.keys(patch).length === 0) {
    await writeOnly(extra(template));
    return template;
  }
  const after: Template = { ...template, ...patch, __updatedAt: nowIso(), __updatedBy: caller.sub };
  await replaceTemplate(template, after, extra(after));
  return after;
}

/** `DELETE /v1/templates/{id}`: answers the template as it was. */
export async function removeTemplate(caller: Caller, id: string, extra: (template: Template) => TransactItem[]): Promise<Template> {
  const template = await visibleTemplate(caller, id);
  await deleteTemplate(template, extra(template));
  return template;
}
