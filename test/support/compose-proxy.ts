import { readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './processes.js';

/**
 * What `compose.yaml` runs, read from the file itself so a test breaks when the file does:
 * the App's environment and the nginx server in front of the replicas (the headers it sets
 * on each request it passes on).
 */
export interface ComposeLayout {
  /** `services.app.environment`, with `${NAME:-default}` filled from `variables` (else the default). */
  appEnvironment: Record<string, string>;
  /** The nginx `proxy_set_header` lines of the `location /` block: header name -> nginx value (`$http_host`...). */
  proxyHeaders: Array<[string, string]>;
}

/** Reads `compose.yaml` of the repository. */
export function readComposeLayout(variables: Record<string, string> = {}): ComposeLayout {
  const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8')) as {
    services: { app: { environment?: Record<string, string | number> } };
    configs: { nginx: { content: string } };
  };
  const appEnvironment: Record<string, string> = {};
  for (const [name, value] of Object.entries(compose.services.app.environment ?? {}))
    appEnvironment[name] = String(value).replace(
      /\$\{(\w+)(?::-([^}]*))?\}/g,
      (_, key: string, fallback: string | undefined) => variables[key] ?? fallback ?? '',
    );
  // Compose reads `$$` as a literal `$`: what nginx receives.
  const nginx = compose.configs.nginx.content.replace(/\$\$/g, '$');
  const proxyHeaders = [...nginx.matchAll(/^\s*proxy_set_header\s+(\S+)\s+(\S+?);\s*$/gm)].map(
    (m) => [m[1]!.toLowerCase(), m[2]!] as [string, string],
  );
  return { appEnvironment, proxyHeaders };
}

/** An nginx variable as nginx 1.27 gives it for a plain-HTTP request on this server. */
function nginxVariable(name: string, headers: IncomingHttpHeaders, remoteAddress: string, port: number): string {
  const hostHeader = headers.host ?? '';
  switch (name) {
    case '$host':
      // The name only: nginx drops the port and lower-cases it.
      return hostHeader.replace(/:\d+$/, '').toLowerCase();
    case '$http_host':
      return hostHeader;
    case '$scheme':
      return 'http';
    case '$remote_addr':
      return remoteAddress;
    case '$server_port':
      return String(port);
    case '$proxy_add_x_forwarded_for': {
      const sent = headers['x-forwarded-for'];
      return sent ? `${Array.isArray(sent) ? sent.join(', ') : sent}, ${remoteAddress}` : remoteAddress;
    }
    default:
      throw new Error(`compose.yaml's nginx uses ${name}, which this proxy does not play`);
  }
}

export interface ComposeProxy {
  port: number;
  /** `http://localhost:<port>`: what a browser on the machine opens. */
  url: string;
  close(): Promise<void>;
}

/**
 * A reverse proxy that behaves as the compose file's nginx: it listens on its own port,
 * passes each request to the next of `upstreams` in turn (nginx resolves `app` to every
 * replica), with the request's headers and the `proxy_set_header` ones of compose.yaml
 * (an empty value removes the header, as in nginx).
 */
export async function startComposeProxy(upstreams: string[], layout: ComposeLayout): Promise<ComposeProxy> {
  let next = 0;
  let port = 0;
  const server = createServer((req, res) => {
    const target = new URL(upstreams[next++ % upstreams.length]!);
    const headers: IncomingHttpHeaders = { ...req.headers };
    const remote = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
    for (const [name, value] of layout.proxyHeaders) {
      const resolved = value.replace(/\$\w+/g, (v) => nginxVariable(v, req.headers, remote, port));
      if (resolved === '') delete headers[name];
      else headers[name] = resolved;
    }
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('502 Bad Gateway\n');
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
