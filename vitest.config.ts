import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { globalSetup: ['test/setup/dynamodb.ts'], testTimeout: 20000, hookTimeout: 60000 },
});
