/**
 * EventBridge event patterns (also the syntax of Lambda event source mappings' filter criteria):
 * exact values, `prefix`, `suffix`, `anything-but`, `exists`, `numeric`, `equals-ignore-case`,
 * `wildcard` and `$or`, matched the way EventBridge documents them (a field's array of values
 * matches when any value matches; an array in the event matches when any element does).
 */
type Pattern = { [key: string]: unknown };

function matchesRule(rule: unknown, value: unknown, present: boolean): boolean {
  if (rule === null || typeof rule !== 'object') return present && value === rule;
  const r = rule as Record<string, unknown>;
  if ('exists' in r) return r.exists === present;
  if (!present) {
    // `anything-but` matches absent fields only when asked with exists; otherwise absent fails.
    return false;
  }
  if ('prefix' in r) {
    const p = r.prefix;
    if (typeof p === 'object' && p && 'equals-ignore-case' in p) {
      return typeof value === 'string' && value.toLowerCase().startsWith(String((p as Record<string, unknown>)['equals-ignore-case']).toLowerCase());
    }
    return typeof value === 'string' && value.startsWith(String(p));
  }
  if ('suffix' in r) return typeof value === 'string' && value.endsWith(String(r.suffix));
  if ('equals-ignore-case' in r) return typeof value === 'string' && value.toLowerCase() === String(r['equals-ignore-case']).toLowerCase();
  if ('wildcard' in r) {
    const source = String(r.wildcard)
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    return typeof value === 'string' && new RegExp(`^${source}$`).test(value);
  }
  if ('anything-but' in r) {
    const but = r['anything-but'];
    if (Array.isArray(but)) return !but.includes(value);
    if (but && typeof but === 'object' && 'prefix' in but)
      return !(typeof value === 'string' && value.startsWith(String((but as Record<string, unknown>).prefix)));
    return value !== but;
  }
  if ('numeric' in r) {
    if (typeof value !== 'number') return false;
    const ops = r.numeric as unknown[];
    for (let i = 0; i < ops.length; i += 2) {
      const op = ops[i];
      const bound = Number(ops[i + 1]);
      const ok =
        op === '='
          ? value === bound
          : op === '<'
            ? value < bound
            : op === '<='
              ? value <= bound
              : op === '>'
                ? value > bound
                : op === '>='
                  ? value >= bound
                  : false;
      if (!ok) return false;
    }
    return true;
  }
  return false;
}

function matchesValues(rules: unknown[], value: unknown, present: boolean): boolean {
  const values = Array.isArray(value) ? value : [value];
  return rules.some((rule) => {
    if (rule !== null && typeof rule === 'object' && 'exists' in (rule as object)) return matchesRule(rule, value, present);
    return values.some((v) => matchesRule(rule, v, present));
  });
}

/** True when `event` matches the EventBridge pattern. */
export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  const data = (event ?? {}) as Record<string, unknown>;
  for (const [key, rule] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(rule as Pattern[]).some((p) => matchesPattern(p, event))) return false;
      continue;
    }
    const present = Object.hasOwn(data, key) && data[key] !== undefined;
    const value = present ? data[key] : undefined;
    if (Array.isArray(rule)) {
      if (!matchesValues(rule, value, present)) return false;
    } else if (rule && typeof rule === 'object') {
      if (!present || value === null || typeof value !== 'object') return false;
      if (!matchesPattern(rule as Pattern, value)) return false;
    } else {
      return false;
    }
  }
  return true;
}
