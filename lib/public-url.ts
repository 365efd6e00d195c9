import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { config } from './config.js';

type VaultEvent = APIGatewayProxyEventV2;

/** The vault's base URL as the client reached it (or PUBLIC_URL): for redirect URIs it hands out. */
export function publicBaseUrl(event: Pick<VaultEvent, 'headers' | 'requestContext'>): string {
  if (config.PUBLIC_URL) return config.PUBLIC_URL.replace(/\/$/, '');
  const host = event.headers?.host ?? event.requestContext?.domainName ?? '127.0.0.1';
  // Behind API Gateway every request is https; the local server is plain http.
  const proto = config.VAULT_MODE === 'local' ? 'http' : 'https';
  const stage = event.requestContext?.stage;
  return `${proto}://${host}${stage && stage !== '$default' ? `/${stage}` : ''}`;
}

export const callbackUrl = (event: Pick<VaultEvent, 'headers' | 'requestContext'>) =>
  `${publicBaseUrl(event)}/v1/connect/callback`;
