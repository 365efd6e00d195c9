import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// "No Stripe on the hot path": what a function's bundle can load, from esbuild's metafile (every
// module reachable, dynamic imports included). Only the billing functions reach the SDK.

async function reachesStripe(entry: string): Promise<boolean> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return Object.values(out.metafile.inputs).some((input) => input.imports.some((i) => i.path === 'stripe'));
}

describe('the Stripe SDK', () => {
  it.each([
    'functions/tokens/get.ts',
    'functions/tokens/create.ts',
    'functions/tokens/delete.ts',
    'functions/webhooks/create.ts',
    'functions/jobs/refresh-due.ts',
  ])('is not reachable from %s', async (entry) => {
    // Act
    const reaches = await reachesStripe(entry);

    // Assess
    expect(reaches).toBe(false);
  });

  it.each([
    'functions/billing/checkout.ts',
    'functions/billing/stripe-events.ts',
    'functions/billing/report-usage.ts',
  ])('is reachable (loaded lazily, only with BILLING=stripe) from %s', async (entry) => {
    // Act
    const reaches = await reachesStripe(entry);

    // Assess
    expect(reaches).toBe(true);
  });
});
