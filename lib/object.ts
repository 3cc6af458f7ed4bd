/** `{ ...DEFAULTS, ...opts }` must not let an explicit `undefined` erase a default. */
export function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}
