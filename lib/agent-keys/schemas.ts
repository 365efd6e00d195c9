import * as z from 'zod';
import { int32, isoTime, listOf } from '../schemas.js';
import { providerId } from '../tokens/schemas.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export const allowSchema = z
  .strictObject({
    provider: providerId,
    key: z
      .string()
      .min(1)
      .max(256)
      .describe('A connection key, exactly, or a prefix ending in `*` (`*` alone: every key).'),
    methods: z.array(z.enum(METHODS)).min(1).max(METHODS.length).optional().describe('Default: any method.'),
    paths: z
      .array(
        z
          .string()
          .max(1024)
          .regex(/^\/[^?#]*$/, 'a path starting with /, without query or fragment')
          .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'no dot segments'),
      )
      .min(1)
      .max(50)
      .optional()
      .describe(
        'Path prefixes matching whole segments: `/files` allows `/files` and `/files/x`, not `/filesx`. Default: any path.',
      ),
  })
  .meta({ id: 'AgentAllow' });

export const createAgentKeyBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    allow: z.array(allowSchema).min(1).max(50),
    expires_in: int32(z.number().int().min(1).max(86_400)).describe('Seconds, 1 to 86,400.'),
    max_calls: int32(z.number().int().min(1).max(1_000_000_000)).optional().describe('Default: no limit.'),
  })
  .meta({ id: 'CreateAgentKeyRequest' });

export const agentKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe('The public start of the key, to recognise it.'),
    allow: z.array(allowSchema),
    expires_at: isoTime,
    max_calls: z.number().int().nullable(),
    calls: z.number().int(),
    created_at: isoTime,
    last_used_at: isoTime.nullable(),
  })
  .meta({ id: 'AgentKey' });

export const createdAgentKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    key: z.string().describe('The full key, `vk_agent_...`. Shown once: hand it to the agent now.'),
    allow: z.array(allowSchema),
    expires_at: isoTime,
    max_calls: z.number().int().nullable(),
  })
  .meta({ id: 'CreatedAgentKey' });

export const agentKeyList = listOf(agentKeySchema).meta({ id: 'AgentKeyList' });

export type CreateAgentKeyInput = z.infer<typeof createAgentKeyBody>;
