import type { RouteDef } from './types.js';

// Options for middy's http-security-headers. Its defaults suit JSON; for HTML pages they would
// stop the page's own scripts (`sandbox` without allow-scripts, Trusted Types) and they send empty
// Reporting-Endpoints / Report-To headers, with no reporting endpoint to name.

/** Default CSP directives dropped on HTML routes (undefined removes a directive middy would add). */
const NOT_FOR_PAGES = {
  sandbox: undefined,
  'require-trusted-types-for': undefined,
  'trusted-types': undefined,
  'navigate-to': undefined,
  'report-to': undefined,
  // The local server is plain http; deployed, HSTS already keeps the browser on https.
  'upgrade-insecure-requests': undefined,
};

/** A CSP for an HTML page that runs only its own scripts and styles, from its own origin. */
export const SELF_ONLY_CSP: Record<string, string> = {
  'default-src': "'none'",
  'script-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self' data:",
  'connect-src': "'self'",
  'base-uri': "'none'",
  'form-action': "'self'",
  'frame-ancestors': "'none'",
};

export function securityHeaderOptions(def: Pick<RouteDef, 'csp'>) {
  return {
    reportingEndpoints: false,
    reportTo: false,
    ...(def.csp ? { contentSecurityPolicy: { ...NOT_FOR_PAGES, ...def.csp } } : {}),
  } as unknown as Parameters<typeof import('@middy/http-security-headers').default>[0];
}
