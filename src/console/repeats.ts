/**
 * Consecutive entries with the same key shown once: a gate re-checked every 6 hours without
 * a change is one entry "re-checked N times", not N. The list is newest first; each group
 * keeps its newest entry, its count and the time of its oldest.
 */
export function collapseRepeats<T extends { at: Date }>(
  newestFirst: readonly T[],
  key: (item: T) => string,
): Array<{ item: T; repeats: number; firstAt: Date }> {
  const out: Array<{ item: T; repeats: number; firstAt: Date; key: string }> = [];
  for (const item of newestFirst) {
    const k = key(item);
    const last = out.at(-1);
    if (last && last.key === k) {
      last.repeats += 1;
      last.firstAt = item.at;
    } else out.push({ item, repeats: 1, firstAt: item.at, key: k });
  }
  return out.map(({ item, repeats, firstAt }) => ({ item, repeats, firstAt }));
}
