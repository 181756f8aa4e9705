import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJunit } from '../../src/evidence/junit.js';
import { EXTERNAL, fileStream, rejection, walk } from './helpers.js';

/** Files beside the inputs that are expectations or notes, not reports. */
const NOT_INPUT = /(\.results|\.results\.json|\.annotations|\.exception|(^|\/)LICENSE|\.txt)$/;

const ENRICO = join(EXTERNAL, 'enrico-publish-unit-test-result/python/test/files');

interface Stats {
  runs: number;
  runs_succ: number;
  runs_fail: number;
  runs_error: number;
  runs_skip: number;
  suites: number;
}

/**
 * Where our counts differ from the stored expectations on purpose. Our rule: one test per
 * `testcase` element, one outcome per test (an error wins over a failure, a failure over
 * a skip), and a suite's `tests=` attributes are never counted as tests.
 */
const ENRICO_DIFFERS: Record<string, { ours: [number, number, number, number, number]; why: string }> = {
  'junit-xml/junit.multiresult.xml': {
    ours: [4, 1, 1, 1, 1],
    why: 'cases carry several results (<skipped/> + <failure/> + <error/>); the stored runs count every result element, which makes runs_succ -2. We count one outcome per case.',
  },
  'junit-xml/no-cases-but-tests.xml': {
    ours: [0, 0, 0, 0, 0],
    why: 'the suite has no testcase element, only tests="6" attributes; we count testcase elements, so a suite cannot claim tests that no case shows.',
  },
};

/** The project's JUnit renderings (`.junit-xml`) whose stored runs come from elsewhere than testcase elements. */
const RENDERING_DIFFERS: Record<string, { tests: number | 'rejected'; why: string }> = {
  'junit-xml/no-cases-but-tests.junit-xml': {
    tests: 0,
    why: 'no testcase element; the stored 6 runs are the suite attributes',
  },
  'xunit/mstest/jenkinsci/testcase2.junit-xml': {
    tests: 1,
    why: 'one testcase element; the stored 3 runs are the outer suite attributes (tests="3")',
  },
  'junit-xml/non-junit.junit-xml': {
    tests: 'rejected',
    why: 'a copy of the non-JUnit input (<suites>/<suite>/<case>), rejected like it',
  },
};

function junitCounts(r: { tests: number; passed: number; failed: number; errors: number; skipped: number }): number[] {
  return [r.tests, r.passed, r.failed, r.errors, r.skipped];
}

describe('JUnit parser on the publish-unit-test-result corpus (every file)', () => {
  const files = walk(ENRICO).filter((f) => !NOT_INPUT.test(f));

  it('walks the whole corpus', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  for (const f of files) {
    const path = join(ENRICO, f);
    const base = path.replace(/\.(xml|junit-xml|trx|json)$/, '');
    const exception = existsSync(`${base}.exception`) && !f.endsWith('.junit-xml');
    const stats = existsSync(`${base}.results.json`)
      ? (JSON.parse(readFileSync(`${base}.results.json`, 'utf8')) as { stats: Stats }).stats
      : null;
    const isJunitInput = /^(junit-xml|xml)\//.test(f) && f.endsWith('.xml');

    if (exception) {
      it(`${f}: rejected, as its .exception expects`, async () => {
        const err = await rejection(parseJunit(fileStream(path)));
        expect(err.name).toBe('ParseError');
        expect(err.message).toMatch(
          /not a JUnit XML report|unexpected end of file|DOCTYPE with an internal subset|the file is empty|not an XML document/,
        );
      });
    } else if (isJunitInput && stats) {
      it(`${f}: counts agree with .results.json`, async () => {
        const r = await parseJunit(fileStream(path));
        const differs = ENRICO_DIFFERS[f];
        if (differs) {
          expect(junitCounts(r)).toEqual(differs.ours);
        } else {
          expect(junitCounts(r)).toEqual([
            stats.runs,
            stats.runs_succ,
            stats.runs_fail,
            stats.runs_error,
            stats.runs_skip,
          ]);
        }
        expect(r.suites).toBe(stats.suites);
      });
    } else if (f.endsWith('.junit-xml') && stats) {
      // The project's JUnit rendering of each input: one testcase per stored run.
      it(`${f}: the JUnit rendering has one testcase per run`, async () => {
        const differs = RENDERING_DIFFERS[f];
        if (differs?.tests === 'rejected') {
          const err = await rejection(parseJunit(fileStream(path)));
          expect(err.message).toMatch(/^not a JUnit XML report: the root element is <suites>/);
          return;
        }
        const r = await parseJunit(fileStream(path));
        expect(r.tests).toBe(differs ? differs.tests : stats.runs);
        expect(r.passed + r.failed + r.errors + r.skipped).toBe(r.tests);
      });
    } else {
      // NUnit, xUnit, TRX, Dart/Mocha JSON and non-XML inputs: formats we do not read as JUnit.
      it(`${f}: not JUnit, rejected with a clear error`, async () => {
        const err = await rejection(parseJunit(fileStream(path)));
        expect(err.message).toMatch(
          /^(not a JUnit XML report: the root element is <[\w:-]+>, expected <testsuites> or <testsuite>|not an XML document: '<' expected \(line \d+, column \d+\)|the file is empty|DOCTYPE with an internal subset is not accepted)/,
        );
      });
    }
  }
});

/**
 * These projects assert their expectations in their own test code, not as data; these are
 * our counts, checked by hand against the files: [tests, passed, failed, errors, skipped, suites],
 * or the error. Every file of the two corpora must be listed, so a new file cannot go unread.
 */
const EXPECTED: Record<string, [number, number, number, number, number, number] | string> = {
  'mikepenz-action-junit-report/test_results/catch2/report.xml': [1, 0, 1, 0, 0, 1],
  'mikepenz-action-junit-report/test_results/container-structure/test.xml': [3, 3, 0, 0, 0, 1],
  'mikepenz-action-junit-report/test_results/corrupt-junit/e2e-tests/corrupt/target/sf-reports/TEST-test.CorruptTest.xml':
    'unexpected end of file inside a CDATA section (line 18, column 26)',
  'mikepenz-action-junit-report/test_results/cunit/testEmpty.xml': [0, 0, 0, 0, 0, 0],
  'mikepenz-action-junit-report/test_results/cunit/testFailure.xml': [4, 3, 1, 0, 0, 1],
  'mikepenz-action-junit-report/test_results/flaky_retries/flaky_all_failures.xml': [3, 0, 2, 1, 0, 1],
  'mikepenz-action-junit-report/test_results/flaky_retries/flaky_success_first.xml': [3, 1, 1, 1, 0, 1],
  'mikepenz-action-junit-report/test_results/flaky_retries/flaky_with_classname_file.xml': [5, 3, 1, 1, 0, 1],
  'mikepenz-action-junit-report/test_results/issues/testDisabled.xml': [22, 16, 4, 2, 0, 1],
  'mikepenz-action-junit-report/test_results/issues/testFailedDisabled.xml': [1, 0, 1, 0, 0, 1],
  'mikepenz-action-junit-report/test_results/junit-server-test/report.xml': [4, 2, 1, 0, 1, 1],
  'mikepenz-action-junit-report/test_results/junit-web-test/expected.xml':
    "'<' in the value of time (line 9, column 59)",
  'mikepenz-action-junit-report/test_results/junit-web-test/expectedRetries.xml':
    "'<' in the value of time (line 9, column 59)",
  'mikepenz-action-junit-report/test_results/junit_flaky_failure/marathon_junit_report.xml': [1, 1, 0, 0, 0, 1],
  'mikepenz-action-junit-report/test_results/junit_flaky_failure/mixed_flaky_and_passed.xml': [3, 3, 0, 0, 0, 1],
  'mikepenz-action-junit-report/test_results/marathon_tests/com.mikepenz.DummyTest#test_02_dummy.xml': [
    1, 1, 0, 0, 0, 1,
  ],
  'mikepenz-action-junit-report/test_results/marathon_tests/com.mikepenz.DummyTest3#test_01.xml': [1, 0, 1, 0, 0, 1],
  'mikepenz-action-junit-report/test_results/marathon_tests/com.mikepenz.DummyUtilTest#test_01_dummy.xml': [
    1, 0, 1, 0, 0, 1,
  ],
  'mikepenz-action-junit-report/test_results/maven_surefire_flaky/surefire-report.xml': [1, 1, 0, 0, 0, 1],
  'mikepenz-action-junit-report/test_results/mocha/mocha.xml': [1, 1, 0, 0, 0, 3],
  'mikepenz-action-junit-report/test_results/multiple/test_10.xml': [3, 3, 0, 0, 0, 1],
  'mikepenz-action-junit-report/test_results/multiple/test_11.xml': [3, 2, 1, 0, 0, 1],
  'mikepenz-action-junit-report/test_results/multiple/test_12.xml': [3, 2, 0, 0, 1, 1],
  'mikepenz-action-junit-report/test_results/multiple_failures/test_multiple_errors.xml': [3, 1, 0, 2, 0, 1],
  'mikepenz-action-junit-report/test_results/multiple_failures/test_multiple_failures.xml': [4, 1, 2, 0, 1, 1],
  'mikepenz-action-junit-report/test_results/nested/junit.xml': [5, 2, 3, 0, 0, 5],
  'mikepenz-action-junit-report/test_results/nested/multi-level.xml': [3, 3, 0, 0, 0, 2],
  'mikepenz-action-junit-report/test_results/nextest/basic.xml': [3, 2, 1, 0, 0, 1],
  'mikepenz-action-junit-report/test_results/perl/result.xml': [1, 1, 0, 0, 0, 1],
  'mikepenz-action-junit-report/test_results/python/report.xml': [3, 1, 2, 0, 0, 1],
  'mikepenz-action-junit-report/test_results/python/report_flaky.xml': [4, 2, 2, 0, 0, 1],
  'mikepenz-action-junit-report/test_results/tests/email/pom.xml':
    'not a JUnit XML report: the root element is <project>, expected <testsuites> or <testsuite>',
  'mikepenz-action-junit-report/test_results/tests/email/target/surefire-reports/TEST-action.surefire.report.email.EmailAddressTest.xml':
    [9, 2, 2, 5, 0, 1],
  'mikepenz-action-junit-report/test_results/tests/pom.xml':
    'not a JUnit XML report: the root element is <project>, expected <testsuites> or <testsuite>',
  'mikepenz-action-junit-report/test_results/tests/utils/pom.xml':
    'not a JUnit XML report: the root element is <project>, expected <testsuites> or <testsuite>',
  'mikepenz-action-junit-report/test_results/tests/utils/target/surefire-reports/TEST-action.surefire.report.calc.AllOkTest.xml':
    [1, 1, 0, 0, 0, 1],
  'mikepenz-action-junit-report/test_results/tests/utils/target/surefire-reports/TEST-action.surefire.report.calc.CalcUtilsTest.xml':
    [2, 0, 2, 0, 0, 1],
  'mikepenz-action-junit-report/test_results/tests/utils/target/surefire-reports/TEST-action.surefire.report.calc.StringUtilsTest.xml':
    [5, 2, 2, 0, 1, 1],
  'mikepenz-action-junit-report/test_results/xunit/report.xml': [4, 3, 1, 0, 0, 1],
  'mikepenz-action-junit-report/test_results/xunit/report_fl_on_f.xml': [4, 3, 1, 0, 0, 1],
  'dorny-test-reporter/__tests__/fixtures/dart-json.json': "not an XML document: '<' expected (line 1, column 1)",
  'dorny-test-reporter/__tests__/fixtures/dotnet-nunit.xml':
    'not a JUnit XML report: the root element is <test-run>, expected <testsuites> or <testsuite>',
  'dorny-test-reporter/__tests__/fixtures/dotnet-trx.trx':
    'not a JUnit XML report: the root element is <TestRun>, expected <testsuites> or <testsuite>',
  'dorny-test-reporter/__tests__/fixtures/dotnet-xunitv3.trx':
    'not a JUnit XML report: the root element is <TestRun>, expected <testsuites> or <testsuite>',
  'dorny-test-reporter/__tests__/fixtures/empty/dart-json.json': "not an XML document: '<' expected (line 1, column 1)",
  'dorny-test-reporter/__tests__/fixtures/empty/dotnet-trx-empty-test-definitions.trx':
    'not a JUnit XML report: the root element is <TestRun>, expected <testsuites> or <testsuite>',
  'dorny-test-reporter/__tests__/fixtures/empty/dotnet-trx.trx':
    'not a JUnit XML report: the root element is <TestRun>, expected <testsuites> or <testsuite>',
  'dorny-test-reporter/__tests__/fixtures/empty/java-junit.xml': [0, 0, 0, 0, 0, 1],
  'dorny-test-reporter/__tests__/fixtures/empty/jest-junit-empty-testsuite.xml': [0, 0, 0, 0, 0, 1],
  'dorny-test-reporter/__tests__/fixtures/empty/jest-junit.xml': [0, 0, 0, 0, 0, 0],
  'dorny-test-reporter/__tests__/fixtures/empty/mocha-json.json':
    "not an XML document: '<' expected (line 1, column 1)",
  'dorny-test-reporter/__tests__/fixtures/empty/phpunit-empty.xml': [0, 0, 0, 0, 0, 0],
  'dorny-test-reporter/__tests__/fixtures/empty/rspec-json.json':
    "not an XML document: '<' expected (line 1, column 1)",
  'dorny-test-reporter/__tests__/fixtures/external/FluentValidation.Tests.trx':
    'not a JUnit XML report: the root element is <TestRun>, expected <testsuites> or <testsuite>',
  'dorny-test-reporter/__tests__/fixtures/external/SilentNotes.trx':
    'not a JUnit XML report: the root element is <TestRun>, expected <testsuites> or <testsuite>',
  'dorny-test-reporter/__tests__/fixtures/external/flutter/provider-test-results.json':
    "not an XML document: '<' expected (line 1, column 1)",
  'dorny-test-reporter/__tests__/fixtures/external/java/TEST-org.apache.pulsar.AddMissingPatchVersionTest.xml': [
    2, 0, 1, 0, 1, 1,
  ],
  'dorny-test-reporter/__tests__/fixtures/external/java/empty_failures.xml': [3, 2, 1, 0, 0, 1],
  'dorny-test-reporter/__tests__/fixtures/external/java/junit4-basic.xml': [6, 5, 1, 0, 0, 2],
  'dorny-test-reporter/__tests__/fixtures/external/java/junit4-complete.xml': [8, 5, 1, 1, 1, 1],
  'dorny-test-reporter/__tests__/fixtures/external/java/pulsar-test-report.xml': [808, 793, 1, 0, 14, 176],
  'dorny-test-reporter/__tests__/fixtures/external/jest/jest-react-component-test-results.xml': [1, 1, 0, 0, 0, 1],
  'dorny-test-reporter/__tests__/fixtures/external/jest/jest-test-results.xml': [4239, 4207, 2, 0, 30, 400],
  'dorny-test-reporter/__tests__/fixtures/external/mocha/mocha-test-results.json':
    "not an XML document: '<' expected (line 1, column 1)",
  'dorny-test-reporter/__tests__/fixtures/external/nunit-sample.xml':
    'not a JUnit XML report: the root element is <test-run>, expected <testsuites> or <testsuite>',
  'dorny-test-reporter/__tests__/fixtures/external/phpunit/junit-basic.xml': [9, 8, 1, 0, 0, 3],
  'dorny-test-reporter/__tests__/fixtures/external/phpunit/phpcheckstyle-phpunit.xml': [30, 28, 2, 0, 0, 14],
  'dorny-test-reporter/__tests__/fixtures/golang-json.json': "not an XML document: '<' expected (line 1, column 1)",
  'dorny-test-reporter/__tests__/fixtures/jest-junit-eslint.xml': [1, 1, 0, 0, 0, 1],
  'dorny-test-reporter/__tests__/fixtures/jest-junit.xml': [6, 1, 4, 0, 1, 2],
  'dorny-test-reporter/__tests__/fixtures/junit-with-message.xml': [1, 0, 1, 0, 0, 1],
  'dorny-test-reporter/__tests__/fixtures/mocha-json.json': "not an XML document: '<' expected (line 1, column 1)",
  'dorny-test-reporter/__tests__/fixtures/nette-tester/BootstrapFormRenderer-report.xml': [4, 4, 0, 0, 0, 1],
  'dorny-test-reporter/__tests__/fixtures/nette-tester/tester-v1.7-report.xml': [65, 61, 1, 0, 3, 1],
  'dorny-test-reporter/__tests__/fixtures/phpunit/phpunit-paths.xml': [6, 0, 6, 0, 0, 1],
  'dorny-test-reporter/__tests__/fixtures/phpunit/phpunit.xml': [12, 10, 2, 0, 0, 4],
  'dorny-test-reporter/__tests__/fixtures/python-xunit-pytest.xml': [10, 6, 2, 0, 2, 1],
  'dorny-test-reporter/__tests__/fixtures/python-xunit-unittest.xml': [8, 4, 1, 1, 2, 1],
  'dorny-test-reporter/__tests__/fixtures/rspec-json.json': "not an XML document: '<' expected (line 1, column 1)",
  'dorny-test-reporter/__tests__/fixtures/swift-xunit.xml': [3, 2, 1, 0, 0, 1],
  'dorny-test-reporter/__tests__/fixtures/test-errors/jest/jest-test-results.xml': [2, 0, 0, 2, 0, 2],
};

describe('JUnit parser on the action-junit-report and test-reporter corpora (every file)', () => {
  const files = ['mikepenz-action-junit-report', 'dorny-test-reporter']
    .flatMap((d) => walk(join(EXTERNAL, d)).map((f) => `${d}/${f}`))
    .filter((f) => !NOT_INPUT.test(f));

  it('lists every file of both corpora', () => {
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const f of files) {
    const want = EXPECTED[f];
    it(`${f}`, async () => {
      if (typeof want === 'string') {
        const err = await rejection(parseJunit(fileStream(join(EXTERNAL, f))));
        expect(err.message).toBe(want);
        return;
      }
      const r = await parseJunit(fileStream(join(EXTERNAL, f)));
      expect([...junitCounts(r), r.suites]).toEqual(want);
      // Independent check: one test per `<testcase` in the text.
      const text = readFileSync(join(EXTERNAL, f), 'utf8').replace(/<!--[\s\S]*?-->/g, '');
      expect(r.tests).toBe((text.match(/<testcase[\s>/]/g) ?? []).length);
      expect(Number.isFinite(r.durationMs)).toBe(true);
    });
  }
});
