import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, errorText, when } from '../api.js';
import type { Token, TokenList, TokenWithSecrets } from '../types.js';
import { Badge, Notice, TableWrap } from '../ui.js';

const SOON_MS = 24 * 3600_000;

export function expiringSoon(t: Token, now = Date.now()) {
  return t.expires_at !== null && Date.parse(t.expires_at) - now < SOON_MS;
}

function StatusBadges({ t }: { t: Token }) {
  return html`${t.status === 'needs_reauth' ? html`<${Badge} tone="bad">needs reauth<//>` : null}
    ${t.status === 'refresh_failed' ? html`<${Badge} tone="warn">refresh failed<//>` : null}
    ${t.status === 'active' ? html`<${Badge} tone="ok">active<//>` : null}
    ${expiringSoon(t) ? html`<${Badge} tone="warn">${Date.parse(t.expires_at ?? '') < Date.now() ? 'expired' : 'expiring soon'}<//>` : null}`;
}

export function TokensPage() {
  const [filter, setFilter] = useState({ provider: '', key: '', status: '' });
  const [draft, setDraft] = useState(filter);
  const [rows, setRows] = useState<Token[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [open, setOpen] = useState<Token | null>(null);

  const load = async (after?: string) => {
    const q = new URLSearchParams({ limit: '50' });
    if (filter.provider) q.set('provider', filter.provider);
    if (filter.key) q.set('key', filter.key);
    if (after) q.set('cursor', after);
    try {
      const page = await api<TokenList>('GET', `/v1/tokens?${q}`);
      setRows((prev) => (after ? [...prev, ...page.data] : page.data));
      setCursor(page.next_cursor ?? null);
      setError('');
    } catch (err) {
      setError(errorText(err));
    }
  };
  useEffect(() => {
    void load();
  }, [filter]);

  const shown = rows.filter(
    (t) => !filter.status || (filter.status === 'expiring' ? expiringSoon(t) : t.status === filter.status),
  );
  const set = (k: keyof typeof draft) => (e: Event) =>
    setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value });

  return html`<h1>Tokens</h1>
    <form class="filters" onSubmit=${(e: Event) => {
      e.preventDefault();
      setFilter(draft);
    }}>
      <label>Provider <input name="provider" value=${draft.provider} onInput=${set('provider')} /></label>
      <label>Key <input name="key" value=${draft.key} onInput=${set('key')} /></label>
      <label>Status
        <select name="status" value=${draft.status} onChange=${set('status')}>
          <option value="">Any</option>
          <option value="active">Active</option>
          <option value="needs_reauth">Needs reauth</option>
          <option value="refresh_failed">Refresh failed</option>
          <option value="expiring">Expiring soon</option>
        </select>
      </label>
      <button type="submit">Filter</button>
    </form>
    ${error && html`<${Notice} kind="error">${error}<//>`}
    ${open ? html`<${TokenDetail} token=${open} onClose=${() => setOpen(null)} />` : null}
    <${TableWrap} label="Tokens">
      <table>
        <caption class="visually-hidden">Stored tokens</caption>
        <thead><tr><th scope="col">Provider</th><th scope="col">Key</th><th scope="col">Status</th><th scope="col">Expires</th><th scope="col">Last refreshed</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          ${shown.map(
            (t) => html`<tr key=${t.id}>
              <td>${t.provider}</td><td>${t.key}</td><td><${StatusBadges} t=${t} /></td>
              <td>${when(t.expires_at)}</td><td>${when(t.last_refreshed_at)}</td>
              <td><button type="button" aria-label=${`Details of ${t.provider} ${t.key}`} onClick=${() => setOpen(t)}>Details</button></td>
            </tr>`,
          )}
          ${shown.length === 0 ? html`<tr><td colspan="6">No tokens${filter.provider || filter.key || filter.status ? ' match' : ' yet'}.</td></tr>` : null}
        </tbody>
      </table>
    <//>
    ${cursor ? html`<button type="button" onClick=${() => load(cursor)}>Load more</button>` : null}`;
}

function TokenDetail({ token, onClose }: { token: Token; onClose: () => void }) {
  const [secret, setSecret] = useState<TokenWithSecrets | null>(null);
  const [error, setError] = useState('');
  useEffect(() => setSecret(null), [token.id]);
  const reveal = async () => {
    try {
      setSecret(await api<TokenWithSecrets>('GET', `/v1/tokens/${encodeURIComponent(token.id)}`));
    } catch (err) {
      setError(errorText(err));
    }
  };
  const t = secret ?? token;
  return html`<section class="detail" aria-labelledby="token-detail-title">
    <h2 id="token-detail-title">${t.provider} / ${t.key}</h2>
    <dl>
      <dt>ID</dt><dd><code>${t.id}</code></dd>
      <dt>Status</dt><dd>${t.status} <${StatusBadges} t=${t} /></dd>
      <dt>Type</dt><dd>${t.token_type}</dd>
      <dt>Scopes</dt><dd>${t.scopes.join(' ') || '—'}</dd>
      <dt>Expires</dt><dd>${when(t.expires_at)}</dd>
      <dt>Refresh token</dt><dd>${t.has_refresh_token ? 'yes' : 'no'}</dd>
      <dt>Last refreshed</dt><dd>${when(t.last_refreshed_at)}</dd>
      <dt>Last error</dt><dd>${t.last_error ? `${t.last_error.code}: ${t.last_error.message} (${when(t.last_error.at)})` : '—'}</dd>
      <dt>Metadata</dt><dd><code>${JSON.stringify(t.metadata)}</code></dd>
      <dt>Created</dt><dd>${when(t.created_at)}</dd>
      <dt>Updated</dt><dd>${when(t.updated_at)}</dd>
    </dl>
    ${error && html`<${Notice} kind="error">${error}<//>`}
    ${
      secret
        ? html`<dl class="secrets">
            <dt>Access token</dt><dd><code class="secret">${secret.access_token}</code></dd>
            <dt>Refresh token</dt><dd><code class="secret">${secret.refresh_token ?? '—'}</code></dd>
          </dl>
          <button type="button" onClick=${() => setSecret(null)}>Hide secret</button>`
        : html`<button type="button" onClick=${reveal}>Reveal secret</button>`
    }
    <button type="button" onClick=${onClose}>Close</button>
  </section>`;
}
