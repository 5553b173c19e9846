// --handlers / --actions: keep only the named entries; a name that matches nothing is an error
// that lists the names there are.

/**
 * The entries of `items` named in `only` (all of them when `only` is absent or empty).
 * `unknown(missing, known)` builds the error thrown when a name matches no entry.
 */
export function selectByName<T>(items: readonly T[], only: readonly string[] | undefined, nameOf: (item: T) => string, unknown: (missing: string[], known: string[]) => Error): T[] {
  if (!only?.length) return [...items];
  const known = items.map(nameOf);
  const missing = only.filter((name) => !known.includes(name));
  if (missing.length) throw unknown(missing, known);
  return items.filter((item) => only.includes(nameOf(item)));
}
