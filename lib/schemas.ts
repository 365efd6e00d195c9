import * as z from 'zod';

// Shapes shared by every route: problem documents, list envelopes, paging parameters.

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    request_id: z.string().optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });

/** Marks an integer as int32 in the OpenAPI document (zod emits only its range). */
export const int32 = <T extends z.ZodType>(schema: T) => schema.meta({ format: 'int32' });

/** A record with at most `max` keys, documented as `maxProperties`. */
export function boundedRecord<K extends z.core.$ZodRecordKey, V extends z.core.SomeType>(
  key: K,
  value: V,
  max: number,
) {
  return z
    .record(key, value)
    .refine((o) => Object.keys(o).length <= max, `At most ${max} entries.`)
    .meta({ maxProperties: max });
}

export const pageQuery = {
  limit: int32(z.coerce.number().int().min(1).max(100)).default(50).describe('Page size, 1..100.'),
  cursor: z.string().min(1).max(2048).optional().describe('`next_cursor` from the previous page.'),
};

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
  });
}

export const idParams = z.strictObject({ id: z.string().min(1).max(64) });

export const isoTime = z.iso.datetime({ offset: true }).max(64);
