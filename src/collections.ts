/**
 * `groupBy`: Map.groupBy (ES2024), which Node 20 (fte's floor) does not have. Replace with
 * `Map.groupBy` once the floor is Node 22.
 */

/** Items grouped by `key(item)`, groups and their items in first-seen order. */
export function groupBy<T>(items: Iterable<T>, key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const g = m.get(k);
    if (g) g.push(it);
    else m.set(k, [it]);
  }
  return m;
}
