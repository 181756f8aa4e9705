/** The evidence kinds a file can be read as. */
export type EvidenceFileKind = 'junit' | 'coverage' | 'sarif' | 'checklist' | 'input';

const KIND_LABEL: Record<EvidenceFileKind, string> = {
  junit: 'JUnit report',
  coverage: 'coverage report',
  sarif: 'SARIF log',
  checklist: 'checklist',
  input: 'evidence input',
};

/**
 * An evidence input that cannot be read or is not valid. Shells print `message` (which
 * names the file) and exit non-zero; no stack trace is meant for users.
 */
export class EvidenceError extends Error {
  override readonly name = 'EvidenceError';
  /** The file (or `-` for stdin, or the glob) the error is about. */
  readonly file: string;
  readonly kind: EvidenceFileKind;
  /** What is wrong, without the file name. */
  readonly detail: string;
  /** 1-based position in the file when known. */
  readonly line: number | null;
  readonly column: number | null;

  constructor(opts: {
    file: string;
    kind: EvidenceFileKind;
    detail: string;
    line?: number | null;
    column?: number | null;
  }) {
    // The detail names the position itself when it knows one ("... (line 3, column 9)").
    super(`${KIND_LABEL[opts.kind]} ${opts.file}: ${opts.detail}`);
    this.file = opts.file;
    this.kind = opts.kind;
    this.detail = opts.detail;
    this.line = opts.line ?? null;
    this.column = opts.column ?? null;
  }
}

/**
 * A syntax or limit error found by a parser before it knows the file name; `collect`
 * turns it into an {@link EvidenceError}.
 */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  readonly line: number | null;
  readonly column: number | null;
  constructor(message: string, line: number | null = null, column: number | null = null) {
    super(message);
    this.line = line;
    this.column = column;
  }
}
