import { SimulatedGitHub } from '../../src/demo/github/simulated-github.js';
import { recorded } from '../../src/demo/github/json.js';
import type { Handler, RecordedRequest } from '../../src/demo/github/types.js';
import { TEST_PRIVATE_KEY } from './app-identity.js';
import { assertRequestMatchesGitHub } from './openapi.js';

export type * from '../../src/demo/github/types.js';
export { gitBlobSha, teamJson } from '../../src/demo/github/json.js';

/**
 * The simulated GitHub of `npm run demo` (src/demo/github), as every test uses it: each
 * request is checked against GitHub's REST description (`@octokit/openapi`), so a request
 * GitHub would refuse lands in `violations` (tests assert it stays empty), and an App created
 * from a manifest gets the test App's key.
 */
export class FakeGitHub extends SimulatedGitHub {
  constructor() {
    super({ checkRequest: assertRequestMatchesGitHub, manifestPem: TEST_PRIVATE_KEY });
  }
}

/** The fake GitHub with the routes of one test: the request view a route gets, and only the routes it was given. */
export interface GitHubServer {
  /** The base URL to give as `GITHUB_API_URL`. */
  url: string;
  readonly requests: RecordedRequest[];
  violations: string[];
  /** Answer `METHOD /template` (e.g. `GET /repos/{owner}/{repo}/deployments`); later routes win. */
  on(route: string, handler: Handler): void;
  /** Requests whose route matched `route` (same `METHOD /template` form). */
  calls(route: string): RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Starts a fake GitHub that answers only the routes the test gives it and refuses what
 * GitHub would refuse: a request outside GitHub's REST description gets a 422, one no route
 * answers a 404, and both land in `violations`.
 */
export async function startGitHubServer(): Promise<GitHubServer> {
  const github = new FakeGitHub();
  github.routesOnly = true;
  github.refuseInvalid = true;
  await github.start();
  return {
    url: github.url,
    get requests() {
      return github.requests.map(recorded);
    },
    violations: github.violations,
    on: (route, handler) => github.on(route, handler),
    calls: (route) => github.calls(route).map(recorded),
    close: () => github.close(),
  };
}
