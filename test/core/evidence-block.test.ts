import { describe, expect, it } from 'vitest';
import { parseEvidenceBlock, renderEvidenceBlock } from '../../src/core/evidence-block.js';
import type { EvidenceBlockData } from '../../src/core/evidence-block.js';

const data: EvidenceBlockData = {
  version: 1,
  environment: 'PROD',
  score: 85,
  breakdown: {
    tests: { kind: 'tests', weight: 40, points: 40, present: true, reasons: ['12 tests, none failed --> ok <b>'] },
  },
  present: ['tests', 'coverage'],
  digests: { 'reports/junit.xml': 'sha256:' + 'ab'.repeat(32) },
  decision: 'allow',
};

describe('evidence block', () => {
  it('round-trips inside a Markdown summary', () => {
    const text = `## Release evidence\n\nScore 85\n\n${renderEvidenceBlock(data)}\n\nmore text`;
    expect(parseEvidenceBlock(text)).toEqual(data);
  });

  it('cannot be closed early by a value containing -->', () => {
    const block = renderEvidenceBlock(data);
    expect(block.startsWith('<!-- release-gate:evidence v1 {')).toBe(true);
    expect(block.indexOf('-->')).toBe(block.length - 3);
    expect(block).not.toContain('<b>');
  });

  it('returns null for no block, a broken block or a wrong shape', () => {
    expect(parseEvidenceBlock(undefined)).toBeNull();
    expect(parseEvidenceBlock('no block here')).toBeNull();
    expect(parseEvidenceBlock('<!-- release-gate:evidence v1 {"version":1,} -->')).toBeNull();
    expect(
      parseEvidenceBlock(
        '<!-- release-gate:evidence v1 {"version":2,"score":1,"breakdown":{},"present":[],"digests":{}} -->',
      ),
    ).toBeNull();
    expect(
      parseEvidenceBlock(
        '<!-- release-gate:evidence v1 {"version":1,"score":"90","breakdown":{},"present":[],"digests":{}} -->',
      ),
    ).toBeNull();
    expect(
      parseEvidenceBlock(
        '<!-- release-gate:evidence v1 {"version":1,"score":90,"breakdown":{},"present":["magic"],"digests":{}} -->',
      ),
    ).toBeNull();
  });

  // SECURITY.md T5: the evidence names the workflow run that wrote it, and a malformed run is no block.
  it('carries the workflow run that wrote it, and refuses a run that is not a positive whole id', () => {
    const withRun = { ...data, run: { id: 1658821493, attempt: 2 } };
    expect(parseEvidenceBlock(renderEvidenceBlock(withRun))).toEqual(withRun);
    for (const run of [{ id: -1 }, { id: '5' }, { id: 5, attempt: 0 }, { id: 1.5 }, 'run'])
      expect(parseEvidenceBlock(renderEvidenceBlock({ ...data, run } as unknown as EvidenceBlockData))).toBeNull();
  });

  it('keeps a null score (no evidence given)', () => {
    const none: EvidenceBlockData = { version: 1, score: null, breakdown: {}, present: [], digests: {} };
    expect(parseEvidenceBlock(renderEvidenceBlock(none))).toEqual(none);
  });
});
