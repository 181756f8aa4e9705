import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/processes.js';

/**
 * The layers of ARCHITECTURE.md as `eslint.config.js` enforces them: a layer imports only the
 * layers below it and the shells do not import each other. Each import below is linted as if
 * written in the file named, with the repository's own boundary rules.
 */

const { layerBoundaries } = (await import(pathToFileURL(join(ROOT, 'eslint.config.js')).href)) as {
  layerBoundaries: Linter.Config[];
};

const eslint = new ESLint({
  cwd: ROOT,
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...layerBoundaries],
});

/** The boundary messages ESLint gives for `import` written in `file`. */
async function violations(file: string, from: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import { x } from '${from}';\nexport const y = x;\n`, {
    filePath: join(ROOT, file),
  });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const REFUSED: Array<[string, string, string]> = [
  ['src/core/rules/freeze.ts', '../../github/facts.js', 'src/github'],
  ['src/core/evaluate.ts', '../evidence/index.js', 'src/evidence'],
  ['src/evidence/junit.ts', '../github/types.js', 'src/github'],
  ['src/github/facts.ts', '../store/types.js', 'src/store'],
  ['src/store/store.ts', '../budget/pool.js', 'src/budget'],
  ['src/budget/pool.ts', '../local/policy-file.js', 'src/local'],
  ['src/local/policy-file.ts', '../http/cookies.js', 'src/http'],
  ['src/http/cookies.ts', '../app/start.js', 'src/app'],
  ['src/app/gate.ts', '../cli/commands.js', 'src/cli'],
  ['src/app/events/comments.ts', '../../console/mount.js', 'src/console'],
  ['src/app/start.ts', '../release-gate-app.js', 'src/release-gate-app.ts'],
  ['src/cli/commands.ts', '../app/gate.js', 'src/app'],
  ['src/console/service.ts', '../cli/io.js', 'src/cli'],
  ['action/src/run.ts', '../../src/app/gate.js', 'src/app'],
  ['action/src/ci-facts.ts', '../../src/console/service.js', 'src/console'],
];

const ALLOWED: Array<[string, string]> = [
  ['src/core/rules/freeze.ts', '../freeze-windows.js'],
  ['src/evidence/junit.ts', '../core/evidence-types.js'],
  ['src/github/facts.ts', '../core/release-stage.js'],
  ['src/store/store.ts', '../core/types.js'],
  ['src/app/events/comments.ts', '../actions/index.js'],
  ['src/app/gate.ts', '../github/facts.js'],
  ['src/cli/commands.ts', '../local/policy-file.js'],
  ['src/console/service.ts', '../app/actions/index.js'],
  ['action/src/ci-facts.ts', '../../src/github/check-facts.js'],
  ['src/release-gate-app.ts', './console/mount.js'],
];

describe('layer boundaries', () => {
  it.each(REFUSED)('%s may not import %s', async (file, from, layer) => {
    const messages = await violations(file, from);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`${layer} is not one of them`);
    expect(messages[0]).toContain('imports only the layers below it (ARCHITECTURE.md)');
  });

  it.each(ALLOWED)('%s may import %s', async (file, from) => {
    expect(await violations(file, from)).toEqual([]);
  });

  it('the console reaches the App only through the action module', async () => {
    const messages = await violations('src/console/handler.ts', '../app/gate.js');
    expect(messages).toEqual([
      "'../app/gate.js' import is restricted from being used by a pattern. src/console reaches the App only through src/app/actions/index.js (the action module's entry).",
    ]);
  });

  it('the core imports no I/O', async () => {
    expect(await violations('src/core/evaluate.ts', 'node:fs')).toEqual([
      "'node:fs' import is restricted from being used by a pattern. src/core is pure: pass data in from a shell instead.",
    ]);
  });
});
