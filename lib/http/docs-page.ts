// The /docs page: Redoc (read-only rendering: no "try it" box to paste an API key into), loaded
// from a CDN pinned by version and Subresource Integrity hash.
const REDOC = {
  src: 'https://cdn.jsdelivr.net/npm/redoc@2.5.1/bundles/redoc.standalone.js',
  integrity: 'sha384-up2uPEo+8XzxuLXKGY4DOk79DbbRclvlcx22QZ60aPWQf8LW69XJ8BWzLFewC05H',
};

export function docsPage(specUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Token Vault API</title>
</head>
<body>
<redoc spec-url="${specUrl}"></redoc>
<script src="${REDOC.src}" integrity="${REDOC.integrity}" crossorigin="anonymous"></script>
</body>
</html>
`;
}
