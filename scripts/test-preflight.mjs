// `npm test`'s first step: what the test suite needs from the machine, made when it can be.
// - PostgreSQL at TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test): the
//   database is created when the server answers without it;
// - headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium) for the console's browser tests;
// - promtool (PROMTOOL, default /usr/bin/promtool) for the example alerting rules.
// What cannot be had is one line each, `npm test: ...`, saying how to get it; the exit code is 1.
import { accessSync, constants } from 'node:fs';
import process from 'node:process';
import pg from 'pg';

const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/test';

/** The URL without its password, for messages. */
function shown(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

function reason(error) {
  const code = error && typeof error === 'object' && 'code' in error ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message || String(code);
}

async function connect(connectionString) {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000 });
  await client.connect();
  return client;
}

/** Null when the test database answers (created if the server had none); else the problem. */
export async function checkPostgres(url, log) {
  try {
    await (await connect(url)).end();
    return null;
  } catch (error) {
    // 3D000: the server answers, the database does not exist.
    if (error?.code !== '3D000')
      return `PostgreSQL is not reachable at ${shown(url)} (${reason(error)}): start it (Debian: apt-get install -y postgresql), or set TEST_DATABASE_URL to a server where the tests may create schemas`;
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  admin.search = '';
  try {
    const client = await connect(admin.toString());
    try {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    } finally {
      await client.end();
    }
    log(`npm test: created the PostgreSQL test database "${name}" at ${shown(url)}`);
    return null;
  } catch (error) {
    return `the PostgreSQL test database "${name}" does not exist at ${shown(url)} and could not be created (${reason(error)}): create it (createdb ${name}), or set TEST_DATABASE_URL to one that exists`;
  }
}

/** Null when `path` is an executable file; else the problem. */
export function checkExecutable(path, what, install, variable) {
  try {
    accessSync(path, constants.X_OK);
    return null;
  } catch {
    return `no ${what} at ${path}: ${install}, or set ${variable} to its path`;
  }
}

export async function preflight(env = process.env, log = (line) => process.stdout.write(`${line}\n`)) {
  const problems = [
    await checkPostgres(env.TEST_DATABASE_URL || DEFAULT_DATABASE_URL, log),
    checkExecutable(
      env.CHROMIUM_PATH || '/usr/bin/chromium',
      'Chromium',
      'install it (Debian, as root: apt-get install -y chromium)',
      'CHROMIUM_PATH',
    ),
    checkExecutable(
      env.PROMTOOL || '/usr/bin/promtool',
      'promtool',
      'install it (Debian, as root: apt-get install -y prometheus)',
      'PROMTOOL',
    ),
  ].filter((p) => p !== null);
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problems = await preflight();
  for (const problem of problems) process.stderr.write(`npm test: ${problem}\n`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}
