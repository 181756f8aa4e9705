/** Points of the Aurora evidence-URL heuristic, per criterion. */
export interface EvidenceUrlBreakdown {
  https: number;
  contains_test: number;
  contains_pass: number;
  file_extension: number;
}

export interface EvidenceUrlScore {
  /** 0-80: the four criteria of the Aurora heuristic add up to 80 (its stated maximum of 100 is not reachable). */
  score: number;
  breakdown: EvidenceUrlBreakdown;
}

/** The most {@link scoreEvidenceUrl} can give: the sum of the four criteria. */
export const EVIDENCE_URL_MAX = 80;

const REPORT_EXTENSIONS = ['.xml', '.json', '.html'];

/**
 * The Aurora format's URL heuristic, kept for compatibility (the `evidenceUrl` evidence kind), without any
 * HTTP call: `https://` +20, contains `test` +20, contains `PASS` +30, the URL path ends
 * in `.xml`, `.json` or `.html` +10.
 *
 * Case: the keywords are matched as the Aurora heuristic writes them, `test` in lower case and `PASS`
 * in upper case, anywhere in the URL (its own example finds "test" in the path
 * `/tests/`, not in the file name). The scheme and the extension are matched without
 * regard to case, as URLs and file names treat them. The extension is the end of the
 * path, with any query (`?...`) or fragment (`#...`) removed.
 *
 * @example scoreEvidenceUrl('https://ci.aurora.local/tests/v1.0.1-PASS-results.json').score === 80
 */
export function scoreEvidenceUrl(url: string): EvidenceUrlScore {
  const path = url.split(/[?#]/, 1)[0] ?? '';
  const lowerPath = path.toLowerCase();
  const breakdown: EvidenceUrlBreakdown = {
    https: /^https:\/\//i.test(url) ? 20 : 0,
    contains_test: url.includes('test') ? 20 : 0,
    contains_pass: url.includes('PASS') ? 30 : 0,
    file_extension: REPORT_EXTENSIONS.some((ext) => lowerPath.endsWith(ext)) ? 10 : 0,
  };
  const score = breakdown.https + breakdown.contains_test + breakdown.contains_pass + breakdown.file_extension;
  return { score, breakdown };
}
