// The model lives beside its storage (lib/store/audit-types.ts, import-free) so the store needs nothing from here.
export * from '../store/audit-types.js';
