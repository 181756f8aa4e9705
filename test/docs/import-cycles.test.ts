import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/processes.js';

/**
 * No import circle in the source: every `.ts` file under `src/` (the generated Prisma clients
 * aside) and `action/src/`, type-only imports and re-exports included, as the TypeScript
 * compiler reads them. A circle is listed as `a.ts > b.ts > a.ts`.
 */

const ROOTS = ['src', 'action/src'];
const EXCLUDED = ['src/store/generated'];

/** The `.ts` files under `dir`, as paths relative to the repository. */
function sources(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (EXCLUDED.includes(path)) continue;
    if (entry.isDirectory()) found.push(...sources(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(path);
  }
  return found;
}

/** The repository files `file` imports or re-exports from (relative specifiers only). */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  const targets = new Set<string>();
  for (const { fileName } of importedFiles) {
    if (!fileName.startsWith('.')) continue;
    const base = resolve(ROOT, dirname(file), fileName);
    const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts'), base];
    const hit = candidates.find((c) => c.endsWith('.ts') && existsSync(c));
    if (hit) targets.add(relative(ROOT, hit).split('\\').join('/'));
  }
  return [...targets];
}

/** The import graph: each file and the files it imports. */
export function importGraph(): Map<string, string[]> {
  const files = ROOTS.flatMap(sources).sort();
  return new Map(files.map((f) => [f, importsOf(f)]));
}

/**
 * The circles of `graph`: its strongly connected components (Tarjan) of more than one file or
 * of a file importing itself, each written as one path around it, `a.ts > b.ts > a.ts`.
 */
export function importCircles(graph: Map<string, string[]>): string[] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) components.push(component);
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return components.map((component) => walk(graph, new Set(component))).sort();
}

/** One circle through `component`, from its first file (in order) back to it. */
function walk(graph: Map<string, string[]>, component: Set<string>): string {
  const start = [...component].sort()[0]!;
  // Breadth-first from start's successors to start: the shortest way around.
  const previous = new Map<string, string>();
  const queue = (graph.get(start) ?? []).filter((n) => component.has(n));
  for (const n of queue) previous.set(n, start);
  while (queue.length > 0 && !previous.has(start)) {
    const node = queue.shift()!;
    for (const to of graph.get(node) ?? []) {
      if (!component.has(to) || previous.has(to)) continue;
      previous.set(to, node);
      queue.push(to);
    }
  }
  const path = [start];
  for (let node = previous.get(start)!; node !== start; node = previous.get(node)!) path.push(node);
  path.push(start);
  const around = [path[0]!, ...path.slice(1, -1).reverse(), start];
  const others = [...component].filter((n) => !around.includes(n)).sort();
  return around.join(' > ') + (others.length > 0 ? ` (with ${others.join(', ')})` : '');
}

describe('import circles', () => {
  it('finds a circle of three files and a file importing itself, and none in a chain', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts', 'd.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', []],
      ['e.ts', ['e.ts']],
    ]);
    expect(importCircles(graph)).toEqual(['a.ts > b.ts > c.ts > a.ts', 'e.ts > e.ts']);
    expect(importCircles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', []]]))).toEqual([]);
  });

  it('reads type-only imports and re-exports as edges', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(100);
    const edges = [...graph.values()].flat();
    expect(edges.length).toBeGreaterThan(graph.size);
    expect(graph.get('src/core/evaluate.ts')).toEqual(expect.arrayContaining([expect.stringMatching(/^src\/core\//)]));
  });

  it('has no import circle in src/ and action/src/', () => {
    expect(importCircles(importGraph())).toEqual([]);
  });
});
