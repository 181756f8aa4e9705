import { ConsoleError } from './console-error.js';
import type { ConsoleReader } from './console-reader.js';
import type { SearchView } from './views.js';

/**
 * Releases of the repositories the viewer can read, found by what a person remembers: a
 * SHA prefix (7 to 40 hex digits), a version or tag (`1.4.2`, `v1.4.2`), or a pull request
 * number (`#123` or `123`), newest first.
 */
export async function searchReleases(svc: ConsoleReader, login: string, text: string): Promise<SearchView> {
  const q = text.trim();
  if (q === '' || q.length > 100)
    throw new ConsoleError(
      400,
      'invalid_parameter',
      'q: give a SHA prefix (7 to 40 hex digits), a version or tag (1.4.2, v1.4.2) or a pull request number (#123), at most 100 characters.',
    );
  const repos: string[] = [];
  for (const repo of (await svc.github.repositories()).values())
    if (await svc.github.roleOf(login, repo)) repos.push(repo.fullName);
  const pull = /^#?(\d{1,9})$/.exec(q);
  const sha = /^[0-9a-f]{7,40}$/i.test(q) ? q.toLowerCase() : undefined;
  const hits = await svc.deps.store.searchReleases({
    repos,
    ...(sha ? { shaPrefix: sha } : {}),
    ...(q.startsWith('#') ? {} : { name: q }),
    ...(pull ? { pull: Number(pull[1]) } : {}),
    limit: 50,
  });
  return { query: q, items: hits.map((h) => ({ ...h, at: h.at.toISOString() })) };
}
