import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lib/errors.js';
import { validateWebhookUrl } from '../../../lib/webhooks/service.js';

// SSRF at registration: the deployed policy wants https and public addresses only; `npm start`
// (policy local) also allows http://localhost.

async function refusal(url: string, policy: 'deployed' | 'local') {
  try {
    await validateWebhookUrl(url, policy);
  } catch (err) {
    return err as ValidationError;
  }
  return null;
}

describe('validateWebhookUrl', () => {
  it.each([
    'http://example.com/hook',
    'http://localhost:3000/hook',
    'https://127.0.0.1/hook',
    'https://localhost/hook',
    'https://10.1.2.3/hook',
    'https://192.168.0.10/hook',
    'https://172.16.5.4/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::1]/hook',
    'https://[fd00::1]/hook',
    'https://[::ffff:10.0.0.1]/hook',
    'https://user:pass@93.184.216.34/hook',
  ])('deployed refuses %s with a 422 on body.url', async (url) => {
    // Act
    const err = await refusal(url, 'deployed');

    // Assess
    expect(err).toBeInstanceOf(ValidationError);
    expect(err?.statusCode).toBe(422);
    expect(err?.errors[0]?.path).toBe('body.url');
  });

  it('deployed accepts https to a public address', async () => {
    // Act
    const err = await refusal('https://93.184.216.34/hook', 'deployed');

    // Assess
    expect(err).toBeNull();
  });

  it('local accepts http://localhost and 127.0.0.1 but not another http host', async () => {
    // Act
    const localhost = await refusal('http://localhost:3000/hook', 'local');
    const loopback = await refusal('http://127.0.0.1:3000/hook', 'local');
    const other = await refusal('http://example.com/hook', 'local');

    // Assess
    expect(localhost).toBeNull();
    expect(loopback).toBeNull();
    expect(other).toBeInstanceOf(ValidationError);
  });
});
