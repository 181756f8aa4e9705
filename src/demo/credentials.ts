/**
 * The demo never runs with real credentials: an App id, a private key or a GitHub token
 * that looks real means the operator meant the real App (or may leak a real token into a
 * demo), so the demo refuses to start and says which variable to unset.
 */

const TOKEN = /^(gh[pousr]_[A-Za-z0-9_]{20,}|github_pat_[A-Za-z0-9_]{20,}|[0-9a-f]{40})$/;

/** What each credential variable looks like when it is real. */
const REAL: Record<string, (value: string) => boolean> = {
  APP_ID: (v) => /^\d+$/.test(v) && Number(v) > 0,
  PRIVATE_KEY: (v) => v.includes('-----BEGIN') || /^[A-Za-z0-9+/=\s]{200,}$/.test(v),
  PRIVATE_KEY_PATH: (v) => v.length > 0,
  GITHUB_TOKEN: (v) => TOKEN.test(v),
};

/** The credential variables set to a real-looking value, in the order above. */
export function realCredentials(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(REAL)
    .filter(([name, looksReal]) => {
      const value = env[name]?.trim();
      return value !== undefined && value !== '' && looksReal(value);
    })
    .map(([name]) => name);
}

/** The one line the demo says when it refuses to start; null when nothing real is set. */
export function refusalLine(env: NodeJS.ProcessEnv): string | null {
  const found = realCredentials(env);
  if (found.length === 0) return null;
  const names = found.join(', ');
  return `The Release Gate demo does not run with real credentials: ${names} ${found.length === 1 ? 'is' : 'are'} set; unset ${found.length === 1 ? 'it' : 'them'} to run the demo (its GitHub is simulated), or run the real App with \`npm start\`.`;
}
