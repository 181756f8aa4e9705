/** The App could not listen on its address: which one, why, and what to change. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
}

interface SystemError {
  code?: unknown;
  syscall?: unknown;
  address?: unknown;
  port?: unknown;
}

/**
 * Turns Node's `listen` failure (`listen EADDRINUSE: address already in use 127.0.0.1:3000`,
 * with a stack) into one line a person can act on; any other error is returned unchanged.
 */
export function describeListenError(error: unknown, fallback: { host: string; port: number }): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const e = error as SystemError;
  if (e.syscall !== 'listen') return error;
  const port = typeof e.port === 'number' ? e.port : fallback.port;
  const host = typeof e.address === 'string' ? e.address : fallback.host;
  switch (e.code) {
    case 'EADDRINUSE':
      return new ListenError(
        `port ${port} on ${host} is already in use (EADDRINUSE). Stop what listens there, or set PORT to a free port.`,
      );
    case 'EACCES':
      return new ListenError(
        `not allowed to listen on port ${port} of ${host} (EACCES): ports below 1024 need privileges. Set PORT to 1024 or above and put a proxy in front.`,
      );
    case 'EADDRNOTAVAIL':
      return new ListenError(
        `${host} is not an address of this machine (EADDRNOTAVAIL). Set HOST to one of its addresses, 127.0.0.1 or 0.0.0.0.`,
      );
    default:
      return error;
  }
}
