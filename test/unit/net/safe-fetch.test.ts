import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertSafeUrl, isPrivateAddress, safeFetch, UnsafeUrlError } from '../../../lib/net/safe-fetch.js';

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.5',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '240.0.0.1',
    '255.255.255.255',
    '198.18.0.1',
    '192.0.2.1',
    '198.51.100.7',
    '203.0.113.9',
    '::1',
    '::',
    '[::1]',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.5',
    '::ffff:a9fe:a9fe', // 169.254.169.254 in hex
    '64:ff9b::10.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '2002:0a00:0001::1', // 6to4 around 10.0.0.1
    'fd00:ec2::254',
    '2001:db8::1',
    'not-an-ip',
    '',
  ])('%s is not public', (ip) => {
    // Act
    const isPrivate = isPrivateAddress(ip);

    // Assess
    expect(isPrivate).toBe(true);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '169.253.255.255',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
    '2002:0808:0808::1', // 6to4 around 8.8.8.8
  ])('%s is public', (ip) => {
    // Act
    const isPrivate = isPrivateAddress(ip);

    // Assess
    expect(isPrivate).toBe(false);
  });
});

describe('assertSafeUrl (deployed)', () => {
  it.each([
    ['http://example.com/', /https/],
    ['https://user:pw@x.com/', /credentials/],
    ['https://127.0.0.1/', /private address \(127\.0\.0\.1\)/],
    ['https://[::1]/', /private address \(::1\)/],
    ['https://169.254.169.254/latest/meta-data', /private address/],
    ['https://10.1.2.3/', /private address \(10\.1\.2\.3\)/],
    ['https://0x7f.1/', /private address \(127\.0\.0\.1\)/], // URL parser normalises odd IPv4 spellings
    ['https://[::ffff:169.254.169.254]/', /private address/],
    ['https://localhost/', /localhost resolves to a private address/],
    ['ftp://example.com/', /https/],
    ['not a url', /valid URL/],
  ])('rejects %s', async (url, message) => {
    // Act
    const err = await assertSafeUrl(url, 'deployed').catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(UnsafeUrlError);
    expect((err as Error).message).toMatch(message);
  });

  it('accepts a public IP literal without DNS', async () => {
    // Act
    const url = await assertSafeUrl('https://1.1.1.1/path', 'deployed');

    // Assess
    expect(url.href).toBe('https://1.1.1.1/path');
  });
});

describe('assertSafeUrl (local)', () => {
  it.each(['http://localhost:1234/x', 'http://127.0.0.1/', 'http://[::1]:8080/', 'https://example.com/'])(
    'accepts %s',
    async (url) => {
      // Act
      const safe = await assertSafeUrl(url, 'local');

      // Assess
      expect(safe.href).toBe(url);
    },
  );

  it.each([
    ['http://example.com/', /only for localhost/],
    ['http://10.0.0.5/', /only for localhost/],
    ['https://user:pw@localhost/', /credentials/],
    ['file:///etc/passwd', /https/],
  ])('rejects %s', async (url, message) => {
    // Act
    const attempt = assertSafeUrl(url, 'local');

    // Assess
    await expect(attempt).rejects.toThrow(message);
  });
});

describe('safeFetch', () => {
  let server: Server;
  let base: string;
  let port: number;
  let requests = 0;
  let connections = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      switch (req.url) {
        case '/json':
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ access_token: 'abc', method: req.method }));
          break;
        case '/redirect':
          res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
          break;
        case '/stall-headers':
          break; // never answers
        case '/stall-body':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"partial":'); // headers arrive, the body never finishes
          break;
        case '/big':
          res.end('x'.repeat(2000)); // content-length declared
          break;
        case '/big-chunked':
          res.write('x'.repeat(1500)); // no content-length: the cap must count bytes
          res.end('x'.repeat(1500));
          break;
        case '/echo': {
          let body = '';
          req.on('data', (chunk) => (body += chunk));
          req.on('end', () => res.end(JSON.stringify({ type: req.headers['content-type'], body })));
          break;
        }
        case '/big-declared':
          res.writeHead(200, { 'content-length': '5000000' });
          res.write('x'); // then stalls: only the declared length can reject this early
          break;
        default:
          res.writeHead(404).end();
      }
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('returns 200 JSON as a standard Response', async () => {
    // Act
    const res = await safeFetch('local')(`${base}/json`, { method: 'POST', body: 'a=1' });

    // Assess
    expect(res).toBeInstanceOf(Response);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ access_token: 'abc', method: 'POST' });
  });

  it('accepts a Request object', async () => {
    // Act
    const res = await safeFetch('local')(new Request(`${base}/json`, { method: 'PUT', body: 'x' }));

    // Assess
    expect(await res.json()).toEqual({ access_token: 'abc', method: 'PUT' });
  });

  it('sends FormData and URLSearchParams bodies as the global fetch would', async () => {
    // Prepare
    const form = new FormData();
    form.set('k', 'v');
    const params = new URLSearchParams({ grant_type: 'refresh_token' });

    // Act
    const multipart = (await (
      await safeFetch('local')(`${base}/echo`, { method: 'POST', body: form })
    ).json()) as { type: string; body: string };
    const urlencoded = await (
      await safeFetch('local')(`${base}/echo`, { method: 'POST', body: params })
    ).json();

    // Assess
    expect(multipart.type).toMatch(/^multipart\/form-data; boundary=/);
    expect(multipart.body).toContain('name="k"\r\n\r\nv');
    expect(urlencoded).toEqual({
      type: 'application/x-www-form-urlencoded;charset=UTF-8',
      body: 'grant_type=refresh_token',
    });
  });

  it('does not follow redirects', async () => {
    // Prepare
    const before = requests;

    // Act
    const res = await safeFetch('local')(`${base}/redirect`);

    // Assess
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://169.254.169.254/latest/meta-data');
    expect(requests - before).toBe(1);
  });

  it('aborts when the server never answers', async () => {
    // Act
    const started = Date.now();
    const attempt = safeFetch('local', { timeoutMs: 300 })(`${base}/stall-headers`);

    // Assess
    await expect(attempt).rejects.toThrow(/abort|timeout/i);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('the timeout covers the body too', async () => {
    // Act
    const started = Date.now();
    const attempt = safeFetch('local', { timeoutMs: 300 })(`${base}/stall-body`);

    // Assess
    await expect(attempt).rejects.toThrow(/abort|timeout/i);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('honours the caller signal as well', async () => {
    // Prepare
    const controller = new AbortController();

    // Act
    const pending = safeFetch('local')(`${base}/stall-headers`, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('caller gave up')), 50);

    // Assess
    await expect(pending).rejects.toThrow('caller gave up');
  });

  it.each(['/big', '/big-chunked'])('rejects a body over maxBytes (%s)', async (path) => {
    // Act
    const over = safeFetch('local', { maxBytes: 1000 })(`${base}${path}`);

    // Assess
    await expect(over).rejects.toThrow(/exceeds 1000 bytes/);

    // Act: the same body under a larger cap.
    const ok = await safeFetch('local', { maxBytes: 3000 })(`${base}${path}`);

    // Assess
    expect((await ok.text()).length).toBe(path === '/big' ? 2000 : 3000);
  });

  it('rejects a declared content-length over maxBytes without waiting for the body', async () => {
    // Prepare
    const fetcher = safeFetch('local', { maxBytes: 1000, timeoutMs: 5000 });

    // Act
    const attempt = fetcher(`${base}/big-declared`);

    // Assess
    await expect(attempt).rejects.toThrow(/exceeds 1000 bytes/);
  });

  it('local policy still refuses http to non-loopback hosts', async () => {
    // Act
    const attempt = safeFetch('local')('http://example.com/');

    // Assess
    await expect(attempt).rejects.toThrow(UnsafeUrlError);
  });

  describe('deployed policy', () => {
    it('refuses a private IP literal before connecting', async () => {
      // Prepare
      const before = { requests, connections };

      // Act
      const attempt = safeFetch('deployed')(`https://127.0.0.1:${port}/json`);

      // Assess
      await expect(attempt).rejects.toThrow(/private address/);
      expect({ requests, connections }).toEqual(before);
    });

    it('refuses, at connect time, a name that resolves to a private address', async () => {
      // Prepare: https://localhost passes the static checks; only the connect-time lookup can stop it.
      const before = { requests, connections };

      // Act
      const err = await safeFetch('deployed')(`https://localhost:${port}/json`).catch((e: unknown) => e);

      // Assess
      expect(err).toBeInstanceOf(UnsafeUrlError);
      expect((err as Error).message).toMatch(/localhost resolves to a private address/);
      expect({ requests, connections }).toEqual(before);
    });

    it('refuses plain http', async () => {
      // Prepare
      const before = { requests, connections };

      // Act
      const attempt = safeFetch('deployed')(`${base}/json`);

      // Assess
      await expect(attempt).rejects.toThrow(/https/);
      expect({ requests, connections }).toEqual(before);
    });
  });

  it('type-checks as oauth4webapi customFetch', () => {
    // Act
    const options: oauth.DiscoveryRequestOptions = { [oauth.customFetch]: safeFetch('deployed') };

    // Assess
    expect(options[oauth.customFetch]).toBeTypeOf('function');
  });
});
