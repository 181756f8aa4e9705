/**
 * The demo never runs with real credentials: an App id, a private key or a GitHub token
 * that looks real means the operator meant the real App (or may leak a real token into a
 * demo), so the demo refuses to start and says which variable to unset.
 */

const TOKEN = /^(gh[pousr]_[A-Za-z0-9_]{20,}|github_pat_[A-Za-z0-9_]{20,}|[0-9a-f]{40})$/;

/** The credential variables set to a value that looks real (a real App's id or key, a real token). */
export function realCredentials(env: NodeJS.ProcessEnv): string[] {
  const set = (value: string | undefined) => value?.trim() ?? '';
  const checks: Array<[string, boolean]> = [
    ['APP_ID', /^\d+$/.test(set(env.APP_ID)) && Number(env.APP_ID) > 0],
    [
      'PRIVATE_KEY',
      set(env.PRIVATE_KEY).includes('-----BEGIN') || /^[A-Za-z0-9+/=\s]{200,}$/.test(set(env.PRIVATE_KEY)),
    ],
    ['PRIVATE_KEY_PATH', set(env.PRIVATE_KEY_PATH) !== ''],
    ['GITHUB_TOKEN', TOKEN.test(set(env.GITHUB_TOKEN))],
  ];
  return checks.filter(([, real]) => real).map(([name]) => name);
}

/** The one line the demo says when it refuses to start; null when nothing real is set. */
export function refusalLine(env: NodeJS.ProcessEnv): string | null {
  const found = realCredentials(env);
  if (found.length === 0) return null;
  const names = found.join(', ');
  return `The Release Gate demo does not run with real credentials: ${names} ${found.length === 1 ? 'is' : 'are'} set; unset ${found.length === 1 ? 'it' : 'them'} to run the demo (its GitHub is simulated), or run the real App with \`npm start\`.`;
}
