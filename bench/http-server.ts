import { startLocalServer } from '../local/server.js';

// The local server (`npm start`'s API, without the background jobs) for bench/get-token.ts's HTTP
// measurement, in a process of its own as `npm start` would be. It inherits the benchmark's
// environment (DynamoDB Local, VAULT_HOME's master key) and prints its URL.

const server = await startLocalServer({ port: 0, jobs: false });
process.stdout.write(`${server.url}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
