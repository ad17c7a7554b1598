/**
 * Response templates: the variables a template may name, the check made when one is saved, and
 * the renderer the server runs when a template is sent. Pure: the values come from the session,
 * its line, its client and the sending caller, read by the use case.
 */
import { ChatlinesError, type FieldError } from '../../contract/errors.ts';

/** Every variable a template may name, as `{{name}}`. */
export const TEMPLATE_VARIABLES = ['client.name', 'operator.name', 'line.name', 'session.name'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateValues = Readonly<Record<TemplateVariable, string>>;

/** `{{ name }}`: a placeholder, spaces inside the braces allowed. */
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

const isVariable = (name: string): name is TemplateVariable => (TEMPLATE_VARIABLES as readonly string[]).includes(name);

/** The variables a text names, in order of first use; unknown ones listed apart. */
export function templateVariables(text: string): { known: TemplateVariable[]; unknown: string[] } {
  const known = new Set<TemplateVariable>();
  const unknown = new Set<string>();
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (isVariable(name)) known.add(name);
    else unknown.add(name);
  }
  return { known: [...known], unknown: [...unknown] };
}

/**
 * Refuses a template text that names a variable chatlines cannot fill (a 400 naming each), so a
 * typo is found when the template is saved, not when a client receives `{{clinet.name}}`.
 */
export function checkTemplateText(text: string, path = 'text'): void {
  const { unknown } = templateVariables(text);
  if (unknown.length === 0) return;
  const errors: FieldError[] = unknown.map((name) => ({
    path,
    message: `unknown variable {{${name}}}: use ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`,
  }));
  throw new ChatlinesError('invalid', `${path}: ${errors.map((e) => e.message).join('; ')}`, errors);
}

/** The text with every variable filled. A variable unknown at send time (saved before a rule changed) is left as written. */
export function renderTemplate(text: string, values: TemplateValues): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => (isVariable(name) ? values[name] : whole));
}
