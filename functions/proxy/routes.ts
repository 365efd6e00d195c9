import * as z from 'zod';
import { agentKeyList, createAgentKeyBody, createdAgentKeySchema } from '../../lib/agent-keys/schemas.js';
import { idParams, pageQuery } from '../../lib/schemas.js';
import { type Access, defineRoute, type VaultRouteDef } from '../defs.js';

// The proxy, the MCP endpoint and agent keys; functions/routes.ts folds them into the route table.

/** Reads and refreshes tokens, counts agent calls, calls providers' APIs. */
const proxyAccess: Access = { table: 'write', kms: ['decrypt'], queue: true, outbound: true };

export const proxyRoutes = {
  proxy: defineRoute({
    id: 'Proxy',
    method: 'ANY',
    path: '/v1/proxy/{provider}/{path+}',
    entry: 'functions/proxy/proxy.ts',
    summary:
      "Call the provider's API with a stored token (any method): the vault injects the token and forwards to the provider's API base URL. Takes an API key with tokens:read, or an agent key within its allow-list.",
    tag: 'proxy',
    scope: 'tokens:read',
    access: proxyAccess,
    params: z.object({ provider: z.string().max(64), path: z.string().max(8192) }),
    headers: {
      'vault-connection-key': 'Picks the token by (provider, key). Give this or Vault-Token-Id.',
      'vault-token-id': 'Picks the token by id.',
    },
    responses: {
      200: { description: "The provider's response: its status, headers and body", contentType: '*/*' },
    },
    errors: [400, 401, 403, 404, 409, 502],
  }),
  mcp: defineRoute({
    id: 'Mcp',
    method: 'ANY',
    path: '/mcp',
    entry: 'functions/proxy/mcp.ts',
    summary:
      'Model Context Protocol (Streamable HTTP, stateless, JSON responses; POST only) for agents: tools list_connections and call_api. Takes agent keys only.',
    tag: 'proxy',
    scope: 'tokens:read',
    access: proxyAccess,
    responses: { 200: { description: 'A JSON-RPC response' } },
    errors: [401, 403, 405],
  }),
  createAgentKey: defineRoute({
    id: 'CreateAgentKey',
    method: 'POST',
    path: '/v1/agent-keys',
    entry: 'functions/agent-keys/create.ts',
    summary: 'Create an agent key: proxy and MCP only, within an allow-list, short-lived',
    tag: 'agent-keys',
    scope: 'admin',
    audit: { action: 'agent_key.create', target: 'agent_key' },
    access: { table: 'write', kms: ['decrypt'] }, // decrypt: its idempotency record is sealed
    body: createAgentKeyBody,
    responses: { 201: { description: 'Created; the key is shown once', schema: createdAgentKeySchema } },
    errors: [400, 401, 403, 413, 415, 422],
  }),
  listAgentKeys: defineRoute({
    id: 'ListAgentKeys',
    method: 'GET',
    path: '/v1/agent-keys',
    entry: 'functions/agent-keys/list.ts',
    summary: "List the tenant's agent keys (not revoked), with their use",
    tag: 'agent-keys',
    scope: 'admin',
    access: { table: 'read', kms: [] },
    query: z.strictObject(pageQuery),
    responses: { 200: { description: 'A page of agent keys', schema: agentKeyList } },
    errors: [400, 401, 403, 422],
  }),
  revokeAgentKey: defineRoute({
    id: 'RevokeAgentKey',
    method: 'DELETE',
    path: '/v1/agent-keys/{id}',
    entry: 'functions/agent-keys/revoke.ts',
    summary: 'Revoke an agent key',
    tag: 'agent-keys',
    scope: 'admin',
    audit: { action: 'agent_key.revoke', target: 'agent_key' },
    access: { table: 'write', kms: ['decrypt'] }, // decrypt: its idempotency record is sealed
    params: idParams,
    responses: { 204: { description: 'Revoked; its next call gets 401' } },
    errors: [401, 403, 404],
  }),
} satisfies Record<string, VaultRouteDef>;
