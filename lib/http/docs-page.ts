// The /docs page: Redoc (read-only rendering: no "try it" box to paste an API key into), served by
// the vault itself from the `redoc` npm package (GET /docs/redoc.standalone.js): no CDN, works offline.
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
<script src="docs/redoc.standalone.js"></script>
</body>
</html>
`;
}
