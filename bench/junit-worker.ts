/**
 * One parser over one file, in its own process so that its peak RSS is its own.
 * Prints one JSON line: { ok, ms, maxRssBytes, tests?, error? }.
 * Usage: node --import tsx bench/junit-worker.ts <ours|ours-stream|xml-js|xml2js|saxes|read> <file>
 * Each library is imported only by its own case, so that no process holds another's code.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseJunit } from '../src/evidence/junit.js';
import { readFileChunks } from '../src/evidence/read-helpers.js';

const [parser, file] = process.argv.slice(2) as [string, string];

async function run(): Promise<number> {
  switch (parser) {
    case 'ours':
      // Two reused 256 KiB read buffers (readFileChunks): no garbage per chunk.
      return (await parseJunit(readFileChunks(file))).tests;
    case 'ours-stream':
      // A stream of fresh 1 MiB chunks, as src/evidence/collect.ts reads files today.
      return (await parseJunit(createReadStream(file, { highWaterMark: 1024 * 1024 }))).tests;
    case 'xml-js': {
      const { default: xmljs } = await import('xml-js');
      // As mikepenz/action-junit-report: the whole file, xml2json compact, then JSON.parse.
      const data = readFileSync(file, 'utf8');
      const doc = JSON.parse(xmljs.xml2json(data, { compact: true })) as { testsuites?: { testsuite?: unknown[] } };
      return Array.isArray(doc.testsuites?.testsuite) ? doc.testsuites.testsuite.length : 0;
    }
    case 'xml2js': {
      const { default: xml2js } = await import('xml2js');
      // As dorny/test-reporter: the whole file into parseStringPromise.
      const data = readFileSync(file, 'utf8');
      const doc = (await xml2js.parseStringPromise(data)) as { testsuites?: { testsuite?: unknown[] } };
      return doc.testsuites?.testsuite?.length ?? 0;
    }
    case 'saxes': {
      const { SaxesParser } = await import('saxes');
      // A raw streaming floor: every event parsed, nothing built but a counter.
      const p = new SaxesParser();
      let cases = 0;
      p.on('opentag', (t) => {
        if (t.name === 'testcase') cases++;
      });
      for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1024 * 1024 }))
        p.write(chunk as string);
      p.close();
      return cases;
    }
    case 'read': {
      let n = 0;
      for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) n += (chunk as Buffer).length;
      return n;
    }
    default:
      throw new Error(`unknown parser ${parser}`);
  }
}

const t0 = performance.now();
try {
  const tests = await run();
  const ms = performance.now() - t0;
  process.stdout.write(
    `${JSON.stringify({ ok: true, ms, maxRssBytes: process.resourceUsage().maxRSS * 1024, tests })}\n`,
  );
} catch (error) {
  const ms = performance.now() - t0;
  const message =
    error instanceof Error ? `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}` : String(error);
  process.stdout.write(
    `${JSON.stringify({ ok: false, ms, maxRssBytes: process.resourceUsage().maxRSS * 1024, error: message.slice(0, 160) })}\n`,
  );
}
