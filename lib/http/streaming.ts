/**
 * Whether the server in this process can stream a response body. API Gateway (HTTP API) in front
 * of Lambda cannot: handlers there return one buffered body. The local server can, and turns this
 * on when it starts.
 */
export const responseStreaming = { enabled: false };
