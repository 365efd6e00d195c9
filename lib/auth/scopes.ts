/** API key scopes. `admin` includes every other. */
export const SCOPES = ['admin', 'tokens:read', 'tokens:write'] as const;
export type Scope = (typeof SCOPES)[number];
