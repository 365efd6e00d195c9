import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import type { ConnectSession, OAuthAppList } from '../types.js';
import { Notice } from '../ui.js';

/** Where the connect flow sends the browser back to: this page (the OAuth app must allow it). */
export const returnUrl = () => `${location.origin}${location.pathname}`;

export interface ConnectOutcome {
  status: string;
  provider?: string;
  key?: string;
  token_id?: string;
  /** Present when the connection waits for confirmation (the default). */
  connect_code?: string;
  error?: string;
}

export function ConnectPage({ outcome }: { outcome: ConnectOutcome | null }) {
  const [provider, setProvider] = useState('');
  const [key, setKey] = useState('');
  const [providers, setProviders] = useState<string[]>([]);
  const [error, setError] = useState('');
  const [tokenId, setTokenId] = useState(outcome?.token_id);
  // The browser that started the flow came back here, signed in as the operator who started it:
  // confirm the connection with its one-time code (POST /v1/connect/exchange).
  useEffect(() => {
    const code = outcome?.status === 'success' ? outcome.connect_code : undefined;
    if (!code) return;
    api<{ id: string }>('POST', '/v1/connect/exchange', { connect_code: code })
      .then((t) => setTokenId(t.id))
      .catch((err) => setError(errorText(err)));
  }, []);
  useEffect(() => {
    api<OAuthAppList>('GET', '/v1/oauth-apps?limit=100')
      .then((page) => setProviders(page.data.map((a) => a.provider)))
      .catch(() => {});
  }, []);

  const start = async (e: Event) => {
    e.preventDefault();
    try {
      const s = await api<ConnectSession>('POST', '/v1/connect/sessions', {
        provider,
        key,
        redirect_url: returnUrl(),
      });
      location.assign(s.authorization_url);
    } catch (err) {
      setError(errorText(err));
    }
  };

  return html`<h1>Connect</h1>
    ${
      outcome?.status === 'success' && tokenId
        ? html`<${Notice} kind="ok">Connected ${outcome.provider} / ${outcome.key}: token <a href="#/tokens"><code>${tokenId}</code></a>.<//>`
        : outcome?.status === 'success'
          ? null
          : outcome
            ? html`<${Notice} kind="error">Connecting ${outcome.provider} / ${outcome.key} failed: ${outcome.error ?? outcome.status}.<//>`
            : null
    }
    <p>Starts the OAuth flow in this browser; the token is stored under the provider and key. The
      provider's OAuth app must list <code>${returnUrl()}</code> among its redirect URLs.</p>
    <form class="stack" onSubmit=${start}>
      <label>Provider <input name="provider" required list="connect-providers" value=${provider}
        onInput=${(e: Event) => setProvider((e.target as HTMLInputElement).value)} /></label>
      <datalist id="connect-providers">${providers.map((p) => html`<option value=${p} />`)}</datalist>
      <label>Key <input name="key" required value=${key} onInput=${(e: Event) => setKey((e.target as HTMLInputElement).value)} /></label>
      <button type="submit">Connect</button>
    </form>
    ${error && html`<${Notice} kind="error">${error}<//>`}`;
}
