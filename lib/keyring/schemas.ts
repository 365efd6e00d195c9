import * as z from 'zod';
import { isoTime } from '../schemas.js';

// Response shape of GET /v1/tenant/data-keys.

const count = z.number().int().nonnegative();

export const dataKeyVersionSchema = z
  .object({
    version: z.number().int().positive(),
    state: z
      .enum(['active', 'retiring', 'retired'])
      .describe(
        '`active`: new secrets are sealed with it. `retiring`: older, still opens, being re-encrypted away. ' +
          '`retired`: its wrapped key is deleted; nothing opens with it any more.',
      ),
    created_at: isoTime
      .nullable()
      .describe('When the version was made (null: made before this was recorded).'),
    values: count
      .nullable()
      .describe(
        'Sealed values under this version, as counted by the last completed re-encryption pass over the ' +
          "tenant's items (see `counted_at`; values written since are not in it). 0 for a retired version; " +
          'null if no pass has counted it yet (no rotation since it was made). Connect sessions in flight ' +
          '(10 minutes at most) are not counted.',
      ),
    counted_at: isoTime.nullable().describe('When the pass that counted `values` finished.'),
  })
  .meta({ id: 'DataKeyVersion' });

export const reencryptionSchema = z
  .object({
    status: z
      .enum(['running', 'waiting'])
      .describe('`running`: a pass is under way (`pass`). `waiting`: until `next_run_at`.'),
    rotated_at: isoTime.describe('The rotation this re-encryption serves.'),
    next_run_at: isoTime,
    pass: z
      .object({
        started_at: isoTime,
        items: count.describe("The tenant's items walked so far."),
        values: count.describe('Sealed values looked at so far.'),
        resealed: count.describe('Moved to the active version so far.'),
        skipped: count.describe('Changed by a concurrent write meanwhile: left as written, looked at again.'),
        failed: count.describe('Did not open: they keep their version from being retired.'),
      })
      .nullable(),
  })
  .meta({ id: 'Reencryption' });

export const dataKeyList = z
  .object({
    data: z.array(dataKeyVersionSchema).describe('Every version, oldest first.'),
    reencryption: reencryptionSchema
      .nullable()
      .describe('The background re-encryption after a rotation; null when no old version remains.'),
  })
  .meta({ id: 'DataKeyList' });

export type DataKeyList = z.infer<typeof dataKeyList>;
