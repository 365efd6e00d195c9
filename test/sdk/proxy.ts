import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

// A tiny HTTP proxy in front of the local server, for failures the SDK must ride out. For each
// request, `plan(n)` (n from 1) says what to do with it:
//   'pass'           forward it, relay the answer;
//   'drop-after'     forward it, let the server finish, then destroy the client's socket unanswered;
//   { status, headers } answer this itself, without forwarding.

export type Step = 'pass' | 'drop-after' | { status: number; headers?: Record<string, string> };

export interface Proxy {
  url: string;
  seen: { method: string; path: string; headers: IncomingHttpHeaders; at: number }[];
  close(): Promise<void>;
}

export async function startProxy(upstream: string, plan: (n: number) => Step): Promise<Proxy> {
  const target = new URL(upstream);
  const seen: Proxy['seen'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, at: Date.now() });
      const step = plan(seen.length);
      if (typeof step === 'object') {
        res.writeHead(step.status, { 'content-type': 'application/problem+json', ...step.headers });
        res.end(JSON.stringify({ type: 'about:blank', title: 'Injected', status: step.status }));
        return;
      }
      const out = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (up) => {
          const body: Buffer[] = [];
          up.on('data', (c: Buffer) => body.push(c));
          up.on('end', () => {
            if (step === 'drop-after') {
              req.socket.destroy();
              return;
            }
            res.writeHead(up.statusCode ?? 502, up.headers);
            res.end(Buffer.concat(body));
          });
        },
      );
      out.on('error', () => res.destroy());
      out.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
