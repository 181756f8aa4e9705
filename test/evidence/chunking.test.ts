import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJunit } from '../../src/evidence/junit.js';
import { readFileChunks } from '../../src/evidence/read-helpers.js';
import { EXTERNAL, streamOf, walk } from './helpers.js';

/** The parser's answer (a report or the error's message) for one way of cutting the bytes. */
async function outcome(bytes: Buffer, size?: number): Promise<unknown> {
  try {
    return await parseJunit(streamOf([bytes], size));
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

const ROOT = join(EXTERNAL, 'mikepenz-action-junit-report/test_results');
const FILES = walk(ROOT).filter((f) => f.endsWith('.xml'));

describe('the JUnit parser gives the same answer however the bytes are cut', () => {
  it('walks a corpus of reports', () => {
    expect(FILES.length).toBeGreaterThan(20);
  });
  for (const file of FILES) {
    it(file, async () => {
      const bytes = readFileSync(join(ROOT, file));
      const whole = await outcome(bytes);
      for (const size of [1, 7, 64, 4093]) {
        expect(await outcome(bytes, size), `cut into ${size}-byte pieces`).toEqual(whole);
      }
    });
  }
});

describe('readFileChunks', () => {
  it('yields the file exactly, in reused buffers, when each chunk is consumed before the next', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rg-chunks-'));
    const content = Buffer.from(Array.from({ length: 10_000 }, (_, i) => `line ${i}\n`).join(''));
    await writeFile(join(dir, 'f.txt'), content);
    const copies: Buffer[] = [];
    const seen = new Set<ArrayBufferLike>();
    for await (const chunk of readFileChunks(join(dir, 'f.txt'), 1000)) {
      copies.push(Buffer.from(chunk));
      seen.add(chunk.buffer);
    }
    expect(Buffer.concat(copies).equals(content)).toBe(true);
    expect(copies.length).toBe(Math.ceil(content.length / 1000));
    expect(seen.size).toBe(2);
  });

  it('parses a report read that way like one read whole', async () => {
    const file = join(ROOT, FILES[0]!);
    expect(await parseJunit(readFileChunks(file, 100))).toEqual(await parseJunit(streamOf([readFileSync(file)])));
  });
});
