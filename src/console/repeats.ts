/**
 * Identical entries of one stream shown once: a gate re-checked every 6 hours without a
 * change is one entry "re-checked N times", not N, even where other releases' events come
 * between them. Entries arrive newest first; an entry joins the last group of its stream
 * (one release in one environment) when it is the same as that group's (same key), else it
 * starts a new group. Each group keeps its newest entry, its count and its oldest time.
 */
export class Repeats<T extends { at: Date }> {
  readonly groups: Array<{ item: T; repeats: number; firstAt: Date }> = [];
  private readonly last = new Map<string, { key: string; group: { item: T; repeats: number; firstAt: Date } }>();

  constructor(
    private readonly stream: (item: T) => string,
    private readonly key: (item: T) => string,
  ) {}

  /** Adds the next (older) entry; true when it starts a new group. */
  add(item: T): boolean {
    const s = this.stream(item);
    const k = this.key(item);
    const open = this.last.get(s);
    if (open && open.key === k) {
      open.group.repeats += 1;
      open.group.firstAt = item.at;
      return false;
    }
    const group = { item, repeats: 1, firstAt: item.at };
    this.groups.push(group);
    this.last.set(s, { key: k, group });
    return true;
  }

  /** Whether the entry would join an open group rather than start one. */
  joins(item: T): boolean {
    const open = this.last.get(this.stream(item));
    return open !== undefined && open.key === this.key(item);
  }
}

/** {@link Repeats} over a whole list (newest first). */
export function collapseRepeats<T extends { at: Date }>(
  newestFirst: readonly T[],
  stream: (item: T) => string,
  key: (item: T) => string,
): Array<{ item: T; repeats: number; firstAt: Date }> {
  const r = new Repeats(stream, key);
  for (const item of newestFirst) r.add(item);
  return r.groups;
}
