/**
 * The path to the first object or array nested more than `limit` levels deep (the value itself is
 * level 1 when it is one), or undefined when none is. It walks with its own stack, not by
 * recursion, so input nested thousands deep is measured instead of overflowing the call stack; a
 * cycle counts as too deep.
 *
 * @example
 * pathDeeperThan({ a: [{ b: 1 }] }, 2); // ["a", 0]
 */
export function pathDeeperThan(value: unknown, limit: number): PropertyKey[] | undefined {
  if (!isContainer(value)) return undefined;
  const stack: { value: object; path: PropertyKey[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: container, path } = stack.pop()!;
    if (path.length >= limit) return path;
    if (Array.isArray(container)) {
      for (let i = container.length - 1; i >= 0; i--) {
        const item: unknown = container[i];
        if (isContainer(item)) stack.push({ value: item, path: [...path, i] });
      }
    } else {
      const keys = Object.keys(container);
      for (let i = keys.length - 1; i >= 0; i--) {
        const item: unknown = (container as Record<string, unknown>)[keys[i]!];
        if (isContainer(item)) stack.push({ value: item, path: [...path, keys[i]!] });
      }
    }
  }
  return undefined;
}

function isContainer(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}
