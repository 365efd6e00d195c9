import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import selfsigned from 'selfsigned';

// A provider's API for the proxy's tests: HTTPS on 127.0.0.1 with a certificate made now, which
// this test process (only) is told to trust. It records what it receives and answers as told.

export interface Received {
  method: string;
  /** As received: path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Raw header names and values, to check that nothing unexpected arrived. */
  rawHeaders: string[];
  bodyBytes: number;
  bodySha256: string;
  body: string;
}

export type Responder = (
  req: IncomingMessage,
  res: ServerResponse,
  received: Received,
) => void | Promise<void>;

export interface Upstream {
  /** e.g. https://127.0.0.1:PORT */
  url: string;
  received: Received[];
  respond: Responder;
  close(): Promise<void>;
}

/** The default responder: 200 with JSON echoing method, path and the Authorization it got. */
export const echo: Responder = (_req, res, r) => {
  res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
  res.end(JSON.stringify({ method: r.method, url: r.url, authorization: r.headers.authorization ?? null }));
};

export async function startUpstream(): Promise<Upstream> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  // Trust it in this process: new TLS connections (the vault's undici agent included) verify against it.
  setDefaultCACertificates([...getCACertificates('default'), pems.cert]);

  const up: Upstream = { url: '', received: [], respond: echo, close: async () => {} };
  const server = createServer({ key: pems.private, cert: pems.cert }, async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const r: Received = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      bodyBytes: body.length,
      bodySha256: createHash('sha256').update(body).digest('hex'),
      body: body.length < 64 * 1024 ? body.toString('utf8') : '',
    };
    up.received.push(r);
    try {
      await up.respond(req, res, r);
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  up.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  up.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return up;
}
