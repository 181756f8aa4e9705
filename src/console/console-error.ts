/** A refusal the API answers with `{ error: { code, message } }` and the status. */
export class ConsoleError extends Error {
  override readonly name = 'ConsoleError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 422 | 429 | 502,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
