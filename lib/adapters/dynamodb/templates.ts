/**
 * The response-template repository: one item per template (pattern 39), indexed under its line
 * by shortcut (pattern 40, gsi2). A line's templates are one bounded Query of that partition.
 */
import { notFound } from '../../contract/errors.ts';
import { MAX_TEMPLATES_PER_LINE, type Template, TemplateSchema } from '../../contract/schemas.ts';
import { getItem, type Item, putNew, queryAll, type TransactItem, tableName, transact } from './db.ts';
import { read } from './items.ts';
import { INDEX, lineTemplatesPartition, templateIndexKeys, templateKey } from './keys.ts';
import { keyAttributesOf } from './table.ts';

export const templateItem = (template: Template): Item => ({
  ...templateKey(template.__id),
  ...templateIndexKeys(template),
  entity: 'template',
  ...template,
});
export const readTemplate = (item: Item): Template => read(TemplateSchema, item, 'template');

export async function findTemplate(id: string): Promise<Template | undefined> {
  const item = await getItem(templateKey(id));
  return item && readTemplate(item);
}
export async function getTemplate(id: string): Promise<Template> {
  const found = await findTemplate(id);
  if (!found) throw notFound('template', id);
  return found;
}

/** A line's templates by shortcut: one Query of its index partition (bounded), the items in one batch. */
export async function lineTemplates(lineId: string): Promise<Template[]> {
  const items = await queryAll(
    {
      IndexName: INDEX.lineTemplates,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': keyAttributesOf(INDEX.lineTemplates).pk },
      ExpressionAttributeValues: { ':pk': lineTemplatesPartition(lineId) },
    },
    MAX_TEMPLATES_PER_LINE,
  );
  return items.slice(0, MAX_TEMPLATES_PER_LINE).map(readTemplate);
}

export async function insertTemplate(template: Template, extra: TransactItem[] = []): Promise<void> {
  await transact([putNew(templateItem(template)), ...extra], 'the template exists already');
}

/** Replaces a template as it was read (its `__updatedAt`): a concurrent change is a 409. */
export async function replaceTemplate(before: Template, after: Template, extra: TransactItem[] = []): Promise<void> {
  await transact(
    [
      {
        Put: {
          TableName: tableName(),
          Item: templateItem(after),
          ConditionExpression: '#u = :u',
          ExpressionAttributeNames: { '#u': '__updatedAt' },
          ExpressionAttributeValues: { ':u': before.__updatedAt },
        },
      },
      ...extra,
    ],
    'the template was changed concurrently; read it again',
  );
}

export async function deleteTemplate(template: Template, extra: TransactItem[] = []): Promise<void> {
  await transact(
    [{ Delete: { TableName: tableName(), Key: templateKey(template.__id), ConditionExpression: 'attribute_exists(pk)' } }, ...extra],
    'the template was deleted concurrently',
  );
}
