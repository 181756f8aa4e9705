/** Where things are in a policy's YAML: offsets of keys and values by path, lines and columns, duplicate keys. */
import { isAlias, isMap, isScalar, isSeq, LineCounter } from 'yaml';
import type { Document, Node as YamlNode, Pair } from 'yaml';
import { isRecord, keyString, pathString } from './problems.js';
import type { Problem, Segment } from './problems.js';

/** A policy text being read: its YAML document, its data, and the problems found so far. */
export class YamlPositions {
  protected readonly lineCounter = new LineCounter();
  protected readonly problems: Problem[] = [];
  protected readonly warnings: Problem[] = [];
  /** Problems found but not described (past the bound), counted in the last line. */
  protected unlisted = 0;
  /** Where the text was cut for having too many entries, as a problem. */
  protected truncated: Problem | null = null;
  protected doc!: Document.Parsed;
  protected data: unknown;

  constructor(
    protected readonly text: string,
    protected readonly source: string,
  ) {}

  protected linePos(offset: number): { line: number; col: number } {
    const pos = this.lineCounter.linePos(offset);
    return { line: Math.max(1, pos.line), col: Math.max(1, pos.col) };
  }

  protected lineColText(offset: number): string {
    const { line, col } = this.linePos(offset);
    return `line ${line}, column ${col}`;
  }

  // ---- locating things in the YAML -------------------------------------------------

  protected readonly pairIndexes = new WeakMap<object, Map<string, Pair>>();

  /** A mapping's entries by key (the first of duplicates), built once: looking keys up stays linear in the file. */
  protected pairIndex(map: { items: Pair[] }): Map<string, Pair> {
    let index = this.pairIndexes.get(map);
    if (index === undefined) {
      index = new Map();
      for (const p of map.items) {
        const k = keyString(p.key);
        if (!index.has(k)) index.set(k, p);
      }
      this.pairIndexes.set(map, index);
    }
    return index;
  }

  /** The YAML nodes at a path: the value and, for a mapping entry, its key. */
  protected locate(segs: readonly Segment[]): { value?: YamlNode | null; key?: YamlNode; last: YamlNode } {
    let cur: unknown = this.doc.contents;
    let key: YamlNode | undefined;
    let last = this.doc.contents as YamlNode;
    for (const seg of segs) {
      if (isAlias(cur)) cur = cur.resolve(this.doc);
      if (isMap(cur)) {
        const pair = this.pairIndex(cur).get(String(seg));
        if (!pair) return { last };
        key = isScalar(pair.key) || isMap(pair.key) || isSeq(pair.key) ? (pair.key as YamlNode) : undefined;
        cur = pair.value;
      } else if (isSeq(cur) && typeof seg === 'number') {
        cur = cur.items[seg];
        key = undefined;
      } else {
        return { last };
      }
      if (cur && (isScalar(cur) || isMap(cur) || isSeq(cur) || isAlias(cur))) last = cur as YamlNode;
      else if (key) last = key;
    }
    return { value: cur as YamlNode | null, key, last };
  }

  /** Offset of the value at a path (its key when the value is empty). */
  protected valueOffset(segs: readonly Segment[]): number {
    const { value, key, last } = this.locate(segs);
    if (value?.range && !(isScalar(value) && value.value === null && key)) return value.range[0];
    return key?.range?.[0] ?? last?.range?.[0] ?? 0;
  }

  /** Offset of the key of a path's mapping entry (its value for list items). */
  protected keyOffset(segs: readonly Segment[]): number {
    const { key, value, last } = this.locate(segs);
    return key?.range?.[0] ?? value?.range?.[0] ?? last?.range?.[0] ?? 0;
  }

  protected dataAt(segs: readonly Segment[]): unknown {
    let cur: unknown = this.data;
    for (const seg of segs) {
      if (Array.isArray(cur) && typeof seg === 'number') cur = cur[seg];
      else if (isRecord(cur)) cur = cur[String(seg)];
      else return undefined;
    }
    return cur;
  }

  /** `environments[2] (PROD)`: a path as a person reads it. */
  protected where(segs: readonly Segment[]): string {
    if (segs.length === 0) return 'the top level';
    const text = pathString(segs);
    if (segs[0] === 'environments' && typeof segs[1] === 'number') {
      const env = this.dataAt(segs.slice(0, 2));
      if (isRecord(env) && typeof env.name === 'string') return `${text} (${env.name})`;
    }
    return text;
  }

  /** `requiredEvidence[1]`: the last key of a path and the list indexes after it. */
  protected label(segs: readonly Segment[]): string {
    let i = segs.length - 1;
    while (i > 0 && typeof segs[i] === 'number') i--;
    return segs.length === 0 ? 'the policy' : pathString(segs.slice(i));
  }

  protected add(list: Problem[], p: Problem): void {
    list.push(p);
  }

  // ---- duplicate keys ----------------------------------------------------------------

  protected findDuplicateKeys(node: unknown, segs: Segment[]): void {
    if (isMap(node)) {
      const seen = new Map<string, Pair>();
      for (const pair of node.items) {
        const k = keyString(pair.key);
        const first = seen.get(k);
        const keyNode = pair.key as YamlNode | null;
        if (first && k !== '<<') {
          const firstKey = first.key as YamlNode | null;
          this.add(this.problems, {
            offset: keyNode?.range?.[0] ?? 0,
            path: pathString([...segs, k]),
            message: `duplicate key "${k}" in ${this.whereFromYaml(segs)}; first given at ${this.lineColText(firstKey?.range?.[0] ?? 0)}`,
            expected: 'each key once',
          });
        } else {
          seen.set(k, pair);
        }
        this.findDuplicateKeys(pair.value, [...segs, k]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => this.findDuplicateKeys(item, [...segs, i]));
    }
  }

  /** Like {@link where}, before the YAML has been turned into data. */
  protected whereFromYaml(segs: readonly Segment[]): string {
    if (segs.length === 0) return 'the top level';
    const text = pathString(segs);
    if (segs[0] === 'environments' && typeof segs[1] === 'number') {
      const env = this.locate(segs.slice(0, 2)).value;
      const name = isMap(env) ? env.get('name') : undefined;
      if (typeof name === 'string') return `${text} (${name})`;
    }
    return text;
  }
}
