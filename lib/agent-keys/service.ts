import bcrypt from 'bcryptjs';
import { auditCompanion } from '../audit/service.js';
import type { AuditContext } from '../audit/types.js';
import { AGENT_KEY_PREFIX, forgetAgentKey } from '../auth/agent-keys.js';
import type { AuthContext } from '../auth/api-keys.js';
import { randomBase32, randomToken } from '../ids.js';
import type { AgentKeyRecord } from '../store/agent-keys.js';
import * as store from '../store/agent-keys.js';
import type { CreateAgentKeyInput } from './schemas.js';

export async function createAgentKey(auth: AuthContext, input: CreateAgentKeyInput, ctx: AuditContext) {
  const id = randomBase32(10); // 16 chars
  const secret = randomToken(32); // 43 chars
  const now = Date.now();
  const record: AgentKeyRecord = {
    id,
    tenant_id: auth.tenantId,
    name: input.name,
    allow: input.allow,
    prefix: `${AGENT_KEY_PREFIX}${id}`,
    secret_hash: await bcrypt.hash(secret, 10),
    created_at: new Date(now).toISOString(),
    expires_at: new Date(now + input.expires_in * 1000).toISOString(),
    max_calls: input.max_calls ?? null,
    calls: 0,
    last_used_at: null,
    revoked_at: null,
    created_by: auth.keyId,
  };
  await store.putAgentKey(record, [
    auditCompanion(auth.tenantId, ctx, 'agent_key.create', { type: 'agent_key', id }),
  ]);
  return {
    id,
    name: record.name,
    key: `${AGENT_KEY_PREFIX}${id}_${secret}`,
    allow: record.allow,
    expires_at: record.expires_at,
    max_calls: record.max_calls,
  };
}

export function toAgentKeyView(k: AgentKeyRecord) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    allow: k.allow,
    expires_at: k.expires_at,
    max_calls: k.max_calls,
    calls: k.calls,
    created_at: k.created_at,
    last_used_at: k.last_used_at,
  };
}

export async function listAgentKeys(tenantId: string, limit: number, cursor?: string) {
  const page = await store.listAgentKeys(tenantId, limit, cursor);
  return { data: page.items.map(toAgentKeyView), next_cursor: page.next_cursor };
}

export async function revokeAgentKey(tenantId: string, id: string, ctx: AuditContext): Promise<void> {
  await store.revokeAgentKey(tenantId, id, new Date().toISOString(), [
    auditCompanion(tenantId, ctx, 'agent_key.revoke', { type: 'agent_key', id }),
  ]);
  forgetAgentKey(id);
}
