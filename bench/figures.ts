/**
 * Figures a section measured, for `npm run bench -- --compare <ref>`: each is printed as one
 * `FIGURE {json}` line when the section runs with `--figures`, and the comparison reads them
 * from both trees.
 */
export interface Figure {
  section: string;
  measure: string;
  value: number;
  unit: string;
  /** Whether more is better (a rate) or less (a latency). */
  better: 'higher' | 'lower';
}

/** Prints a figure for the comparison (nothing unless the run asked for figures). */
export function figure(f: Figure): void {
  if (process.argv.includes('--figures')) process.stdout.write(`FIGURE ${JSON.stringify(f)}\n`);
}
