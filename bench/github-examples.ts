/**
 * GitHub's own examples of its REST answers, from its REST description (`@octokit/openapi`): what
 * the benchmarks of GitHub's sizes serve (bench/json.ts, bench/decisions-github.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The example of that name (`components.examples`, e.g. `pull-request-simple-items`); throws when there is none. */
export function githubExamples(): (name: string) => unknown {
  const file = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json');
  const api = JSON.parse(readFileSync(file, 'utf8')) as {
    components: { examples: Record<string, { value: unknown } | undefined> };
  };
  return (name) => {
    const example = api.components.examples[name];
    if (!example) throw new Error(`GitHub's REST description has no example "${name}"`);
    return example.value;
  };
}
