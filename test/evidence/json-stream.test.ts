import { describe, expect, it } from 'vitest';
import { readJsonStream } from '../../src/evidence/json-stream.js';
import { generated, rejection, streamOf } from './helpers.js';

const keepAll = { streamed: () => false, item: () => undefined };
const read = (text: string, size?: number) => readJsonStream(streamOf([text], size), keepAll, { maxBytes: 1 << 30 });

describe('readJsonStream', () => {
  const doc = {
    version: '2.1.0',
    text: 'tab\there "quoted" \\ back, é, 日本, 😀, \u2028',
    numbers: [0, -1, 1.5, 2e10, -3.25e-4, 123456789012],
    flags: [true, false, null],
    nested: { a: [{}, [], [[]], { b: { c: 'd' } }], empty: '' },
  };
  const text = JSON.stringify(doc, null, 2);

  it('reads what JSON.parse reads, split at any chunk boundary', async () => {
    for (const size of [1, 2, 3, 5, 7, 64, text.length]) {
      expect(JSON.parse(JSON.stringify(await read(text, size)))).toEqual(doc);
    }
  });

  it('hands over the items of streamed containers and keeps none of them', async () => {
    const seen: unknown[] = [];
    const root = await readJsonStream(
      streamOf(['{"tool":"t","results":[{"a":1},{"a":2},{"a":3}],"after":true}'], 4),
      {
        streamed: (p) => p.length === 1 && p[0] === 'results',
        item: (_p, key, value, parent) => seen.push([key, value, { ...(parent as object) }]),
      },
      { maxBytes: 1000 },
    );
    expect(seen).toEqual([
      [0, { a: 1 }, { tool: 't' }],
      [1, { a: 2 }, { tool: 't' }],
      [2, { a: 3 }, { tool: 't' }],
    ]);
    expect({ ...(root as object) }).toEqual({ tool: 't', results: [], after: true });
  });

  it('refuses a key given twice in one object, with where', async () => {
    expect((await rejection(read('{"a":1,\n "b":{"c":1,"c":2}}'))).message).toBe(
      'the key "c" is given twice in b: a report with duplicate keys is ambiguous (line 2, column 15)',
    );
  });

  it('says what is wrong with broken JSON and where', async () => {
    expect((await rejection(read('{"a":1,}'))).message).toBe(
      'not valid JSON: expected a key in double quotes in the document (line 1, column 8)',
    );
    expect((await rejection(read('{"a":[1,2'))).message).toBe(
      'not valid JSON: the file ends inside a: a closing ] is missing (line 1, column 9)',
    );
    expect((await rejection(read('{"a":01}'))).message).toMatch(/^not valid JSON: "01" is not a number/);
    expect((await rejection(read('{"a":tru}'))).message).toMatch(/^not valid JSON: unexpected "tru": expected a value/);
    expect((await rejection(read('  '))).message).toBe('the file is empty');
    expect((await rejection(read('{} {}'))).message).toMatch(
      /^not valid JSON: unexpected "\{" after the end of the document/,
    );
  });

  it('bounds what it keeps: 3 million empty objects outside a streamed container are an error, not gigabytes', async () => {
    const source = generated('{"version":"2.1.0","runs":[', 3_000_000, (i) => (i === 0 ? '{}' : ',{}'), ']}', 4096);
    const error = await rejection(readJsonStream(source, keepAll, { maxBytes: 1 << 30 }));
    expect(error.message).toMatch(
      /^more than 600000 values to keep outside the streamed results: the report is too large or not the kind expected \(line 1, column \d+\)$/,
    );
  });
});
