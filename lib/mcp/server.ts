import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { type AgentContext, allowsConnection } from '../auth/agent-keys.js';
import { HttpError } from '../errors.js';
import { eventBody, type StreamingResult } from '../proxy/route.js';
import { proxyCall } from '../proxy/service.js';
import { listTokens } from '../store/tokens.js';

// The MCP endpoint: the Model Context Protocol's Streamable HTTP transport, stateless (a new
// server per request, no session: any Lambda can answer), JSON responses rather than SSE streams
// (API Gateway buffers), authenticated by an agent key and bound by its allow-list.

/** What call_api hands back of a body; an agent reads text, not megabytes. */
const MAX_TOOL_BODY_CHARS = 100_000;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

function buildServer(agent: AgentContext): McpServer {
  const server = new McpServer({ name: 'token-vault', version: '0.1.0' });

  server.registerTool(
    'list_connections',
    {
      description:
        'The connections (provider and key) this agent key may call through call_api, with their status. Never returns a token.',
      inputSchema: {},
    },
    async () => {
      const providers = [...new Set(agent.allow.map((a) => a.provider))];
      const connections: { provider: string; key: string; status: string; expires_at: string | null }[] = [];
      for (const provider of providers) {
        let cursor: string | undefined;
        do {
          const page = await listTokens(agent.tenantId, { provider }, 100, cursor);
          for (const t of page.items)
            if (allowsConnection(agent, t.provider, t.key))
              connections.push({
                provider: t.provider,
                key: t.key,
                status: t.status,
                expires_at: t.expires_at,
              });
          cursor = page.next_cursor ?? undefined;
        } while (cursor && connections.length < 1000);
      }
      return {
        content: [{ type: 'text', text: JSON.stringify({ connections }) }],
        structuredContent: { connections },
      };
    },
  );

  server.registerTool(
    'call_api',
    {
      description:
        "Calls a provider's API through the vault with the stored token of (provider, key). `path` is relative to the provider's API base URL and starts with /.",
      inputSchema: {
        provider: z.string().min(1).max(64),
        key: z.string().min(1).max(256),
        method: z.enum(METHODS),
        path: z.string().startsWith('/').max(4096),
        query: z.record(z.string(), z.string()).optional(),
        body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
      },
    },
    async (args) => {
      const headers: Record<string, string> = {
        'vault-connection-key': args.key,
        accept: 'application/json',
      };
      let body: Uint8Array | undefined;
      if (args.body !== undefined) {
        const json = typeof args.body !== 'string';
        body = Buffer.from(json ? JSON.stringify(args.body) : (args.body as string));
        headers['content-type'] = json ? 'application/json' : 'text/plain; charset=utf-8';
      }
      try {
        const res = await proxyCall(agent, {
          provider: args.provider,
          path: args.path,
          query: new URLSearchParams(args.query ?? {}).toString(),
          method: args.method,
          headers,
          body,
        });
        const text = res.body ? await new Response(res.body).text() : '';
        const result = {
          status: res.status,
          content_type: res.headers['content-type'] ?? null,
          body: text.length > MAX_TOOL_BODY_CHARS ? text.slice(0, MAX_TOOL_BODY_CHARS) : text,
          truncated: text.length > MAX_TOOL_BODY_CHARS,
        };
        return {
          content: [{ type: 'text', text: JSON.stringify(result) }],
          structuredContent: result,
          isError: res.status >= 400,
        };
      } catch (err) {
        // The vault's refusals (403 outside the allow-list, 401 used up, 400 bad path...) as tool errors.
        if (!(err instanceof HttpError)) throw err;
        const problem = err.toProblem();
        return { content: [{ type: 'text', text: JSON.stringify(problem) }], isError: true };
      }
    },
  );
  return server;
}

export async function handleMcp(
  agent: AgentContext,
  event: APIGatewayProxyEventV2,
): Promise<StreamingResult> {
  // Stateless and JSON-only: no SSE stream to open (GET) and no session to end (DELETE).
  if (event.requestContext.http.method !== 'POST') {
    return { statusCode: 405, headers: { Allow: 'POST', 'Cache-Control': 'no-store' }, body: '' };
  }
  const server = buildServer(agent);
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  await server.connect(transport);
  try {
    const headers = new Headers();
    for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers.set(k, v);
    const body = eventBody(event);
    const request = new Request(`https://vault.invalid${event.rawPath}`, {
      method: 'POST',
      headers,
      body: body as RequestInit['body'],
    });
    const response = await transport.handleRequest(request);
    const out: Record<string, string> = { 'Cache-Control': 'no-store' };
    for (const [k, v] of response.headers) out[k] = v;
    return { statusCode: response.status, headers: out, body: await response.text() };
  } finally {
    await server.close();
  }
}
