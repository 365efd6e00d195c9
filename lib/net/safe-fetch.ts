import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { lookup as dnsLookupAsync } from 'node:dns/promises';
import { isIP } from 'node:net';
import * as undici from 'undici';

// Outbound HTTP to tenant-configured URLs (custom token endpoints, webhook receivers). Those URLs are
// attacker-controlled input: without these checks a tenant could make the vault call its own metadata
// service or internal network (SSRF) and read the answer back through an error message or a token.

export class UnsafeUrlError extends Error {
  override name = 'UnsafeUrlError';
}

export type NetPolicy = 'deployed' | 'local';

// Non-public ranges. IPv6 is an allowlist (only global unicast 2000::/3 can be public) with these carve-outs,
// so new special-purpose ranges outside 2000::/3 are blocked without us having to list them.
const v4 = (cidrs: string) => cidrs.split(/\s+/).map((c) => parseCidr(c, 32));
const v6 = (cidrs: string) => cidrs.split(/\s+/).map((c) => parseCidr(c, 128));
// this network, private, CGNAT, loopback, link-local (metadata service), private, IETF protocol,
// documentation, 6to4 relay, private, benchmarking, documentation x2, multicast, reserved + broadcast
const V4_BLOCKED = v4(`0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12
  192.0.0.0/24 192.0.2.0/24 192.88.99.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24
  224.0.0.0/4 240.0.0.0/4`);
const V6_GLOBAL = parseCidr('2000::/3', 128);
const V6_BLOCKED_IN_GLOBAL = v6('2001::/23 2001:db8::/32 3fff::/20'); // IETF protocol (Teredo...), documentation
// Ranges that carry an IPv4 address in their low 32 bits (mapped, NAT64): the embedded address decides.
const V6_EMBEDS_V4 = v6('::ffff:0:0/96 64:ff9b::/96');
const V6_6TO4 = parseCidr('2002::/16', 128); // 2002:AABB:CCDD::/48 embeds AA.BB.CC.DD

/** Is this IP literal non-public? Anything that is not a valid IP literal counts as non-public (fail closed). */
export function isPrivateAddress(ip: string): boolean {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const version = isIP(bare);
  if (version === 4) return V4_BLOCKED.some((r) => r.has(v4ToBigInt(bare)));
  if (version !== 6 || bare.includes('%')) return true; // a zone id means link-local
  const n = v6ToBigInt(bare);
  if (V6_EMBEDS_V4.some((r) => r.has(n))) return isPrivateAddress(bigIntToV4(n & 0xffffffffn));
  if (V6_6TO4.has(n)) return isPrivateAddress(bigIntToV4((n >> 80n) & 0xffffffffn));
  return !V6_GLOBAL.has(n) || V6_BLOCKED_IN_GLOBAL.some((r) => r.has(n));
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The checks that need no DNS: run at registration and again before every request. */
function checkStatic(input: string, policy: NetPolicy): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UnsafeUrlError('not a valid URL');
  }
  if (url.protocol === 'http:' && policy === 'local') {
    if (!LOOPBACK_HOSTS.has(url.hostname)) throw new UnsafeUrlError('http is allowed only for localhost');
  } else if (url.protocol !== 'https:') {
    throw new UnsafeUrlError('URL must use https');
  }
  if (url.username || url.password) throw new UnsafeUrlError('URL must not contain credentials');
  if (!url.hostname) throw new UnsafeUrlError('URL has no host');
  // IP literals never go through DNS lookup (net.connect skips it), so they are checked here.
  if (policy === 'deployed' && isIP(bareHost(url)) && isPrivateAddress(bareHost(url))) {
    throw new UnsafeUrlError(`is a private address (${bareHost(url)})`);
  }
  return url;
}

function assertAllPublic(host: string, addresses: LookupAddress[]): void {
  if (addresses.length === 0) throw new UnsafeUrlError(`${host} does not resolve`);
  const bad = addresses.find((a) => isPrivateAddress(a.address));
  if (bad) throw new UnsafeUrlError(`${host} resolves to a private address (${bad.address})`);
}

/** Registration-time check. Deployed also resolves the name; the same check repeats at connect time. */
export async function assertSafeUrl(url: string, policy: NetPolicy): Promise<URL> {
  const parsed = checkStatic(url, policy);
  const host = bareHost(parsed);
  if (policy === 'deployed' && !isIP(host)) {
    let addresses: LookupAddress[];
    try {
      addresses = await dnsLookupAsync(host, { all: true });
    } catch (err) {
      throw new UnsafeUrlError(`${host} does not resolve`, { cause: err });
    }
    assertAllPublic(host, addresses);
  }
  return parsed;
}

type LookupCallback = (err: Error | null, address: string | LookupAddress[], family?: number) => void;

/** Used by the socket itself, so the address checked is the address connected to: no rebinding window. */
function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    try {
      assertAllPublic(hostname, addresses);
    } catch (unsafe) {
      return callback(unsafe as Error, []);
    }
    // net.connect asks for all addresses when happy-eyeballs (autoSelectFamily) is on, else for one.
    if (options.all) return callback(null, addresses);
    const first = addresses[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
}

/** The answer was bigger than the fetch's cap: a broken or hostile server, not a network failure. */
export class ResponseTooLargeError extends Error {
  override name = 'ResponseTooLargeError';
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/** A fetch for untrusted destinations; see the module comment. Compatible with oauth4webapi's customFetch. */
export function safeFetch(
  policy: NetPolicy,
  opts: { timeoutMs?: number; maxBytes?: number; stream?: boolean } = {},
): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  // `stream`: the response body is handed on as it arrives (the proxy), still capped at maxBytes.
  const { timeoutMs = 10_000, maxBytes = 1024 * 1024, stream = false } = opts;
  // undici's own fetch with its own Agent: the global fetch's bundled undici may differ in version.
  const dispatcher = new undici.Agent(policy === 'deployed' ? { connect: { lookup: publicOnlyLookup } } : {});

  return async (input, init) => {
    const url = checkStatic(input instanceof Request ? input.url : String(input), policy);
    // Going through the global Request turns any body (FormData, Blob, stream...) into bytes this undici takes,
    // and makes req.signal follow the caller's signal.
    const req = new Request(input, init);
    const requestBody = req.body ? await req.arrayBuffer() : undefined;
    // One deadline for connect, headers and body: a slow-drip body can't hold a worker past it.
    const signal = AbortSignal.any([req.signal, AbortSignal.timeout(timeoutMs)]);
    try {
      const res = await undici.fetch(url, {
        method: req.method,
        headers: [...req.headers],
        body: requestBody,
        redirect: 'manual', // a redirect could point anywhere, including a private address
        signal,
        dispatcher,
      });
      const body = NULL_BODY_STATUS.has(res.status)
        ? null
        : stream
          ? capStream(res, maxBytes)
          : await readCapped(res, maxBytes);
      const headers = new Headers([...res.headers]);
      // The body is already decoded (and buffered, unless streamed): these would now describe something else.
      headers.delete('content-encoding');
      headers.delete('content-length');
      const response = new Response(body, { status: res.status, statusText: res.statusText, headers });
      Object.defineProperty(response, 'url', { value: res.url });
      return response;
    } catch (err) {
      // undici reports connect failures as TypeError('fetch failed', { cause }): surface ours directly.
      if (err instanceof TypeError && err.cause instanceof UnsafeUrlError) throw err.cause;
      throw err;
    }
  };
}

/** Buffers the body, rejecting as soon as it passes maxBytes (counts decoded bytes, so gzip bombs stop too). */
async function readCapped({ body, headers }: undici.Response, maxBytes: number): Promise<Uint8Array | null> {
  if (!body) return null;
  const tooLarge = () => new ResponseTooLargeError(`response body exceeds ${maxBytes} bytes`);
  if (Number(headers.get('content-length')) > maxBytes) {
    await body.cancel().catch(() => {});
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge(); // leaving the loop cancels the stream
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Passes the body through, erroring the stream as soon as it passes maxBytes. */
function capStream({ body }: undici.Response, maxBytes: number): ReadableStream<Uint8Array> | null {
  if (!body) return null;
  let total = 0;
  return (body as ReadableStream<Uint8Array>).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.byteLength;
        if (total > maxBytes) controller.error(new Error(`response body exceeds ${maxBytes} bytes`));
        else controller.enqueue(chunk);
      },
    }),
  );
}

function bareHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

function parseCidr(cidr: string, width: 32 | 128) {
  const [ip = '', bits = ''] = cidr.split('/');
  const shift = BigInt(width - Number(bits));
  const prefix = (width === 32 ? v4ToBigInt(ip) : v6ToBigInt(ip)) >> shift;
  return { has: (n: bigint) => n >> shift === prefix };
}

function v4ToBigInt(ip: string): bigint {
  return ip.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(octet), 0n);
}

function bigIntToV4(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => (n >> s) & 0xffn).join('.');
}

function v6ToBigInt(ip: string): bigint {
  // The URL parser canonicalises IPv6 (including a dotted IPv4 tail, which becomes two hex groups).
  const canonical = new URL(`http://[${ip}]`).hostname.slice(1, -1);
  const [head = '', tail] = canonical.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].reduce((acc, g) => (acc << 16n) | BigInt(`0x${g}`), 0n);
}
