import { dataKeyList } from '../../lib/keyring/schemas.js';
import { defineRoute, type JobDef, type VaultRouteDef } from '../defs.js';

// The data-key routes and the re-encryption job; functions/routes.ts folds them into the one
// route table. (POST /v1/tenant/data-key/rotate is in functions/tenant/routes.ts.)

export const dataKeyRoutes = {
  listDataKeys: defineRoute({
    id: 'ListDataKeys',
    method: 'GET',
    path: '/v1/tenant/data-keys',
    entry: 'functions/tenant/data-keys.ts',
    summary: "The tenant's data-key versions: state, and how many sealed values each still protects",
    tag: 'tenant',
    scope: 'admin',
    access: { table: 'read', kms: [] },
    responses: {
      200: {
        description:
          'Every version, oldest first, and the background re-encryption that follows a rotation. ' +
          "`values` is counted by the re-encryption's passes over the tenant's items, not live: it is " +
          'as of `counted_at`. A rotated-away version is retired (its wrapped key deleted) once a pass ' +
          'that began after the cache period finds nothing sealed with it and connect sessions sealed ' +
          'with it have expired.',
        schema: dataKeyList,
      },
    },
  }),
} satisfies Record<string, VaultRouteDef>;

export const dataKeyJobs: JobDef[] = [
  {
    id: 'DataKeyReencryption',
    entry: 'functions/tenant/reencrypt-data-keys.ts',
    summary: 'Moves sealed values to the current data-key version after a rotation, then retires the old one',
    // Opens and reseals values with the tenant's existing data keys (no new ones), deletes retired wrapped keys.
    access: { table: 'write', kms: ['decrypt'] },
    trigger: 'schedule',
    everySeconds: 60,
    localEverySecondsFrom: 'DATA_KEY_JOB_SECONDS',
    timeoutSeconds: 60,
  },
];
