/** What a caller of the streaming JSON reader gives it: the handler, the bounds, and paths. */

export type JsonPath = ReadonlyArray<string | number>;

export interface JsonStreamHandler {
  /** Whether the items of the container at `path` are streamed (handed over, not kept). */
  streamed(path: JsonPath): boolean;
  /**
   * A complete item of a streamed container: `key` is its index (arrays) or key (objects).
   * `parent` is the container's parent and `root` the document, as built so far (their
   * earlier keys are there).
   */
  item(
    path: JsonPath,
    key: string | number,
    value: unknown,
    parent: Record<string, unknown> | unknown[] | null,
    root: Record<string, unknown> | unknown[] | null,
  ): void;
  /** A streamed container ended (called before its parent sees it, as an empty container). */
  end?(path: JsonPath, count: number): void;
}

export interface JsonStreamOptions {
  /** Deepest nesting accepted (default 512). */
  maxDepth?: number;
  /** Values (objects, arrays, strings, numbers, literals) kept at once outside streamed items plus the item being built (default 600,000). */
  maxKeptValues?: number;
  /** Characters of strings kept at once, counted the same way (default 32 Mi). */
  maxKeptChars?: number;
  /** Longest single string, in bytes (default 16 MiB). */
  maxStringBytes?: number;
  /** Largest file read, in bytes. */
  maxBytes: number;
}

/** A path as a person reads it in a message (`runs[0].results`). */
export function pathText(path: JsonPath): string {
  let out = '';
  for (const s of path)
    out +=
      typeof s === 'number'
        ? `[${s}]`
        : out === ''
          ? s
          : /^[A-Za-z_$][\w$]*$/.test(s)
            ? `.${s}`
            : `[${JSON.stringify(s)}]`;
  return out === '' ? 'the document' : out;
}
