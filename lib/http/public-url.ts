// Moved to lib/public-url.ts (the dashboard's session cookies need it too, outside the HTTP layer).
export { callbackUrl, publicBaseUrl } from '../public-url.js';
