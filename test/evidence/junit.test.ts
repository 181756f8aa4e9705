import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJunit, parseTimeMs } from '../../src/evidence/junit.js';
import { EXTERNAL, fileStream, generated, rejection, streamOf } from './helpers.js';

const parse = (xml: string, chunk?: number) => parseJunit(streamOf([xml], chunk));

describe('parseJunit', () => {
  it('gives the failing case with class, name, file, line, message and output', async () => {
    const r = await parseJunit(
      fileStream(join(EXTERNAL, 'enrico-publish-unit-test-result/python/test/files/junit-xml/pytest/junit.fail.xml')),
    );
    expect(r.failures).toHaveLength(1);
    const f = r.failures[0]!;
    expect(f).toMatchObject({
      kind: 'failure',
      suite: 'pytest',
      classname: 'test.test_spark.SparkTests',
      name: 'test_rsh_events',
      file: 'test/test_spark.py',
      line: 819,
      truncated: false,
    });
    expect(f.message).toMatch(/^self = <test_spark.SparkTests testMethod=test_rsh_events>/);
    expect(f.output).toContain('def test_rsh_events(self):');
  });

  it('reads the same counts whatever the chunk boundaries (1-byte chunks)', async () => {
    const xml = `\ufeff<?xml version="1.0"?><!-- c --><testsuites><testsuite name="s" time="1.5"><testcase classname="a" name="b &amp; c" time="0.5"><failure message="m&#x41;"><![CDATA[trace <x> ]]]]>&lt;y&gt;</failure></testcase><testcase name="ok"/></testsuite></testsuites>`;
    const whole = await parse(xml);
    const bytewise = await parse(xml, 1);
    expect(bytewise).toEqual(whole);
    expect(whole).toMatchObject({ tests: 2, passed: 1, failed: 1, durationMs: 1500 });
    expect(whole.failures[0]).toMatchObject({ name: 'b & c', message: 'mA', output: 'trace <x> ]]<y>' });
  });

  it('counts nested suites and a root testsuite; the outer time wins over the sum of its cases', async () => {
    const r = await parse(
      '<testsuite name="outer" time="3"><testsuite name="inner"><testcase name="a" time="1"/></testsuite><testcase name="b" time="1"/></testsuite>',
    );
    expect(r).toMatchObject({ suites: 2, tests: 2, passed: 2, durationMs: 3000 });
  });

  it('sums case times when suites give none, and never yields NaN (time="", time="2,120.532", time="abc")', async () => {
    const r = await parse(
      '<testsuites><testsuite><testcase name="a" time=""/><testcase name="b" time="2,120.532"/><testcase name="c" time="abc"/></testsuite></testsuites>',
    );
    expect(r.durationMs).toBe(2120532);
    expect(parseTimeMs('NaN')).toBeNull();
    expect(parseTimeMs('-1')).toBeNull();
    expect(parseTimeMs('1e-3')).toBe(1);
  });

  it('gives one outcome per case: error over failure over skipped; flaky reruns pass', async () => {
    const r = await parse(`<testsuite>
      <testcase name="e"><skipped/><failure/><error message="boom"/></testcase>
      <testcase name="f"><failure message="no"/><rerunFailure message="again"/></testcase>
      <testcase name="flaky"><flakyFailure message="once"/></testcase>
      <testcase name="s"><skipped/></testcase></testsuite>`);
    expect(r).toMatchObject({ tests: 4, passed: 1, failed: 1, errors: 1, skipped: 1, flaky: 1 });
    expect(r.failures.map((f) => [f.name, f.kind, f.message])).toEqual([
      ['e', 'error', 'boom'],
      ['f', 'failure', 'no'],
    ]);
  });

  it('uses the case system-out as output when the failure has no body', async () => {
    const r = await parse(
      '<testsuite><testcase name="a"><failure message="m"/><system-out>printed</system-out></testcase></testsuite>',
    );
    expect(r.failures[0]!.output).toBe('printed');
  });

  it('bounds the output excerpt and the failure list', async () => {
    const big = 'x'.repeat(200_000);
    const r = await parseJunit(
      streamOf([`<testsuite><testcase name="a"><failure><![CDATA[${big}]]></failure></testcase></testsuite>`], 4096),
      { maxOutputBytes: 1000 },
    );
    expect(r.failures[0]!.output).toHaveLength(1000);
    expect(r.failures[0]!.truncated).toBe(true);
    const many = await parseJunit(
      generated('<testsuite>', 50, (i) => `<testcase name="t${i}"><failure/></testcase>`, '</testsuite>'),
      { maxFailures: 10 },
    );
    expect(many).toMatchObject({ failed: 50, failuresOmitted: 40 });
    expect(many.failures).toHaveLength(10);
  });
});

describe('parseJunit on hostile input: a clear error, bounded time and memory', () => {
  const cases: Array<[string, string | Buffer, RegExp | string]> = [
    ['a 0-byte file', '', 'the file is empty'],
    ['whitespace only', '  \n ', 'no XML element found (line 2, column 2)'],
    [
      'a truncated file',
      '<testsuites>\n<testsuite name="a">\n<testcase name="x">',
      'unexpected end of file: <testcase> opened at line 3 is not closed (line 3, column 20)',
    ],
    ['a file cut inside a tag', '<testsuites><testsuite na', 'unexpected end of file inside a tag (line 1, column 26)'],
    [
      'a file cut inside CDATA',
      '<testsuite><testcase><failure><![CDATA[abc',
      'unexpected end of file inside a CDATA section (line 1, column 43)',
    ],
    [
      'binary junk',
      Buffer.from([0x00, 0x13, 0xff, 0x3c, 0x00, 0x9c]),
      "not an XML document: '<' expected (line 1, column 1)",
    ],
    ['a NUL in a tag', Buffer.from('<testsuite name="a\u0000b"/>'), /invalid character 0x00 in the value of name/],
    [
      'an entity bomb (billion laughs)',
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><testsuite>&lol2;</testsuite>',
      /^DOCTYPE with an internal subset is not accepted: entity declarations can expand without bound or read files and URLs \(XXE\)/,
    ],
    [
      'an external entity (XXE)',
      '<!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><testsuite name="&xxe;"/>',
      /^DOCTYPE with an internal subset is not accepted/,
    ],
    [
      'an undeclared entity',
      '<testsuite name="&xxe;"/>',
      "entity 'xxe' is not defined (only &lt; &gt; &amp; &quot; &apos; and character references are accepted) (line 1, column 17)",
    ],
    [
      'mismatched tags',
      '<testsuite><testcase></testsuite>',
      'mismatched end tag: expected </testcase>, found </testsuite> (line 1, column 22)',
    ],
    ['two root elements', '<testsuite/><testsuite/>', 'element <testsuite> after the root element (line 1, column 13)'],
    ['UTF-16', Buffer.from([0xff, 0xfe, 0x3c, 0x00]), 'the file is UTF-16; save the report as UTF-8'],
    [
      'another root element',
      '<html><body/></html>',
      'not a JUnit XML report: the root element is <html>, expected <testsuites> or <testsuite>',
    ],
  ];
  for (const [name, input, want] of cases) {
    it(name, async () => {
      const err = await rejection(parseJunit(streamOf([input])));
      expect(err.name).toBe('ParseError');
      if (typeof want === 'string') expect(err.message).toBe(want);
      else expect(err.message).toMatch(want);
    });
  }

  it('10,000-deep nesting', async () => {
    const err = await rejection(parseJunit(generated('<testsuites>', 10_000, () => '<testsuite>', '')));
    expect(err.message).toBe('elements nested deeper than 256 levels (line 1, column 2818)');
  });

  it('a 64 MiB tag with no end fails at the markup bound, not at the end of the input', async () => {
    let produced = 0;
    async function* endlessTag(): AsyncGenerator<Buffer> {
      yield Buffer.from('<testsuite name="');
      const block = Buffer.alloc(1024 * 1024, 0x61);
      for (let i = 0; i < 64; i++) {
        produced++;
        yield block;
      }
    }
    const err = await rejection(parseJunit(endlessTag()));
    expect(err.message).toBe('markup longer than 4194304 bytes (line 1, column 1)');
    expect(produced).toBeLessThan(8);
  });

  it('a 3 GB single line of text is skipped in bounded memory (streamed, never one string)', async () => {
    // 3 GiB of text inside a <system-out> that nobody keeps, fed as one reused 8 MiB buffer.
    const block = Buffer.alloc(8 * 1024 * 1024, 0x61);
    async function* huge(): AsyncGenerator<Buffer> {
      yield Buffer.from('<testsuite><testcase name="a"/><system-out>');
      for (let i = 0; i < 384; i++) yield block;
      yield Buffer.from('</system-out></testsuite>');
    }
    const before = process.memoryUsage().rss;
    const r = await parseJunit(huge());
    expect(r.tests).toBe(1);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });
});
