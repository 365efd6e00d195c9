import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText, setSignedOutHandler } from './api.js';
import { ApiKeysPage } from './pages/api-keys.js';
import { type ConnectOutcome, ConnectPage } from './pages/connect.js';
import { OAuthAppsPage } from './pages/oauth-apps.js';
import { TokensPage } from './pages/tokens.js';
import { WebhooksPage } from './pages/webhooks.js';
import type { DashboardIdentity } from './types.js';
import { Notice } from './ui.js';
import './style.css';

// The dashboard: one page, hash routes (#/tokens, ...), so the vault serves a single HTML route.

const PAGES = [
  { path: 'tokens', label: 'Tokens' },
  { path: 'connect', label: 'Connect' },
  { path: 'oauth-apps', label: 'OAuth apps' },
  { path: 'webhooks', label: 'Webhooks' },
  { path: 'api-keys', label: 'API keys' },
] as const;
type PagePath = (typeof PAGES)[number]['path'];

const currentPage = (): PagePath => PAGES.find((p) => `#/${p.path}` === location.hash)?.path ?? 'tokens';

/** The connect flow comes back to /dashboard?status=...: read it once, then clean the address bar. */
function takeConnectOutcome(): ConnectOutcome | null {
  const q = new URLSearchParams(location.search);
  const status = q.get('status');
  if (!status) return null;
  history.replaceState(null, '', `${location.pathname}#/connect`);
  const get = (k: string) => q.get(k) ?? undefined;
  return {
    status,
    provider: get('provider'),
    key: get('key'),
    token_id: get('token_id'),
    connect_code: get('connect_code'),
    error: get('error'),
  };
}

// Read before the first render: it also moves the address to #/connect, where the outcome shows.
const connectOutcome = takeConnectOutcome();

function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [error, setError] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const field = input.current;
    if (!field) return;
    const apiKey = field.value;
    // The key goes to the server once and is dropped: the session lives in an HttpOnly cookie.
    field.value = '';
    try {
      await api('POST', '/v1/dashboard/session', { api_key: apiKey });
      onSignedIn();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return html`<main class="signin">
    <h1>Token Vault</h1>
    <form class="stack" onSubmit=${submit}>
      <label>API key <input ref=${input} name="api_key" type="password" autocomplete="off" required /></label>
      <p class="hint">An API key with the <code>admin</code> scope. It is exchanged for a session and not kept in this browser.</p>
      <button type="submit">Sign in</button>
    </form>
    ${error && html`<${Notice} kind="error">${error}<//>`}
  </main>`;
}

/** The skip link must not change the hash: the hash is the page. */
function skipToMain(e: Event) {
  e.preventDefault();
  document.getElementById('main')?.focus();
}

function App() {
  const [me, setMe] = useState<DashboardIdentity | null | undefined>(undefined);
  const [page, setPage] = useState<PagePath>(currentPage());

  const check = () =>
    api<DashboardIdentity>('GET', '/v1/dashboard/session')
      .then(setMe)
      .catch(() => setMe(null));
  useEffect(() => {
    setSignedOutHandler(() => setMe(null));
    void check();
    const onHash = () => {
      setPage(currentPage());
      // A new page: move focus to its content, as a full page load would, for keyboard and screen-reader users.
      requestAnimationFrame(() => document.getElementById('main')?.focus());
    };
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    const label = PAGES.find((p) => p.path === page)?.label;
    document.title = me ? `${label} — Token Vault` : 'Sign in — Token Vault';
  }, [page, me]);

  if (me === undefined) return html`<main><p>Loading…</p></main>`;
  if (me === null) return html`<${SignIn} onSignedIn=${check} />`;

  const signOut = async () => {
    await api('DELETE', '/v1/dashboard/session').catch(() => {});
    setMe(null);
  };
  return html`<a class="skip" href="#main" onClick=${skipToMain}>Skip to content</a>
    <header>
      <span class="brand">Token Vault</span>
      <nav aria-label="Main">
        <ul>
          ${PAGES.map(
            (p) =>
              html`<li><a href=${`#/${p.path}`} aria-current=${p.path === page ? 'page' : undefined}>${p.label}</a></li>`,
          )}
        </ul>
      </nav>
      <button type="button" class="signout" onClick=${signOut}>Sign out</button>
    </header>
    <main id="main" tabindex="-1">
      ${page === 'tokens' ? html`<${TokensPage} />` : null}
      ${page === 'connect' ? html`<${ConnectPage} outcome=${connectOutcome} />` : null}
      ${page === 'oauth-apps' ? html`<${OAuthAppsPage} />` : null}
      ${page === 'webhooks' ? html`<${WebhooksPage} />` : null}
      ${page === 'api-keys' ? html`<${ApiKeysPage} selfKeyId=${me.key_id} />` : null}
    </main>`;
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
