import { describe, expect, it } from 'vitest';
import { scoreEvidenceUrl } from '../../src/core/evidence-url.js';

describe('scoreEvidenceUrl (the Aurora seed heuristic)', () => {
  it('scores the seed example 80 with its breakdown', () => {
    expect(scoreEvidenceUrl('https://ci.aurora.local/tests/v1.0.1-PASS-results.json')).toEqual({
      score: 80,
      breakdown: { https: 20, contains_test: 20, contains_pass: 30, file_extension: 10 },
    });
  });

  const table: Array<[string, number, string]> = [
    ['http://ci.example.com/tests/PASS.xml', 60, 'no https'],
    ['https://ci.example.com/TESTS/PASS.xml', 60, '"test" is matched in lower case only'],
    ['https://ci.example.com/tests/pass.xml', 50, '"PASS" is matched in upper case only'],
    ['https://ci.example.com/results-PASS.xml', 60, 'the seed\'s second example claims 80, but its URL has no "test"'],
    [
      'https://ci.example.com/tests/PASS.json?download=1#top',
      80,
      'the extension is read from the path, without query or fragment',
    ],
    ['https://ci.example.com/tests/PASS.JSON', 80, 'the extension ignores case'],
    ['HTTPS://ci.example.com/tests/PASS', 70, 'the scheme ignores case; no report extension'],
    ['https://ci.example.com/tests/PASS.xml.zip', 70, 'only the ending counts'],
    ['', 0, 'nothing'],
  ];
  for (const [url, score, why] of table) {
    it(`${url || '(empty)'} -> ${score}: ${why}`, () => {
      expect(scoreEvidenceUrl(url).score).toBe(score);
    });
  }
});
