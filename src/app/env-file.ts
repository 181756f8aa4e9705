import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/** The value `key` has in the `.env` file, or undefined (no file, no such line). */
export function envFileValue(file: string, key: string): string | undefined {
  if (!existsSync(file)) return undefined;
  return parseEnv(readFileSync(file, 'utf8'))[key];
}

/**
 * Sets `values` in the `.env` file (other lines are kept, the keys' old lines dropped),
 * written whole to a temporary file readable only by its owner and renamed over the old one.
 */
export function writeEnvFile(file: string, values: Record<string, string>, note: string): void {
  const keys = new Set(Object.keys(values));
  const kept = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => !keys.has(line.split('=')[0]!.trim()))
    : [];
  while (kept.length > 0 && kept.at(-1) === '') kept.pop();
  const lines = [
    ...kept,
    ...(kept.length > 0 ? [''] : []),
    `# ${note}`,
    ...Object.entries(values).map(([k, v]) => `${k}=${v}`),
    '',
  ];
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, lines.join('\n'), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}
