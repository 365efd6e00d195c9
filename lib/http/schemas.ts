// Moved to lib/schemas.ts (shared by every domain's schemas; HTTP-free). Kept for imports from lib/http.
export * from '../schemas.js';
