import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, errorText, when } from '../api.js';
import type { CreateOAuthAppRequest, OAuthApp, OAuthAppList } from '../types.js';
import { Notice, TableWrap } from '../ui.js';
import { returnUrl } from './connect.js';

export function OAuthAppsPage() {
  const [apps, setApps] = useState<OAuthApp[]>([]);
  const [error, setError] = useState('');
  const [form, setForm] = useState({
    provider: '',
    client_id: '',
    client_secret: '',
    scopes: '',
    redirect_urls: returnUrl(),
    authorization_url: '',
    token_url: '',
  });
  const load = () =>
    api<OAuthAppList>('GET', '/v1/oauth-apps?limit=100')
      .then((p) => setApps(p.data))
      .catch((err) => setError(errorText(err)));
  useEffect(() => {
    void load();
  }, []);

  const set = (k: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const create = async (e: Event) => {
    e.preventDefault();
    const body: CreateOAuthAppRequest = {
      provider: form.provider.trim(),
      client_id: form.client_id,
      client_secret: form.client_secret,
      redirect_urls: form.redirect_urls.split(/\s+/).filter(Boolean),
      ...(form.scopes.trim() ? { scopes: form.scopes.split(/\s+/).filter(Boolean) } : {}),
      ...(form.authorization_url
        ? {
            custom: {
              name: form.provider.trim(),
              authorization_url: form.authorization_url,
              token_url: form.token_url,
            } as NonNullable<CreateOAuthAppRequest['custom']>,
          }
        : {}),
    };
    try {
      await api('POST', '/v1/oauth-apps', body);
      setForm({
        ...form,
        provider: '',
        client_id: '',
        client_secret: '',
        scopes: '',
        authorization_url: '',
        token_url: '',
      });
      setError('');
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const remove = async (provider: string) => {
    try {
      await api('DELETE', `/v1/oauth-apps/${encodeURIComponent(provider)}`);
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return html`<h1>OAuth apps</h1>
    ${error && html`<${Notice} kind="error">${error}<//>`}
    <${TableWrap} label="OAuth apps">
      <table>
        <thead><tr><th scope="col">Provider</th><th scope="col">Client ID</th><th scope="col">Scopes</th><th scope="col">Redirect URLs</th><th scope="col">Callback URL</th><th scope="col">Created</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          ${apps.map(
            (a) => html`<tr key=${a.provider}>
              <td>${a.provider}${a.custom ? ' (custom)' : ''}</td><td><code>${a.client_id}</code></td>
              <td>${a.scopes.join(' ') || '—'}</td><td>${a.redirect_urls.join(' ')}</td>
              <td><code>${a.callback_url}</code></td><td>${when(a.created_at)}</td>
              <td><button type="button" class="danger" onClick=${() => remove(a.provider)}>Delete</button></td>
            </tr>`,
          )}
          ${apps.length === 0 ? html`<tr><td colspan="7">No OAuth apps yet.</td></tr>` : null}
        </tbody>
      </table>
    <//>
    <h2>New OAuth app</h2>
    <form class="stack" onSubmit=${create}>
      <label>Provider <input name="provider" required value=${form.provider} onInput=${set('provider')} /></label>
      <label>Client ID <input name="client_id" required value=${form.client_id} onInput=${set('client_id')} /></label>
      <label>Client secret <input name="client_secret" type="password" autocomplete="off" required value=${form.client_secret} onInput=${set('client_secret')} /></label>
      <label>Scopes (space-separated) <input name="scopes" value=${form.scopes} onInput=${set('scopes')} /></label>
      <label>Redirect URLs (space-separated) <input name="redirect_urls" required value=${form.redirect_urls} onInput=${set('redirect_urls')} /></label>
      <fieldset>
        <legend>Custom provider (not in the catalog)</legend>
        <label>Authorization URL <input name="authorization_url" type="url" value=${form.authorization_url} onInput=${set('authorization_url')} /></label>
        <label>Token URL <input name="token_url" type="url" value=${form.token_url} onInput=${set('token_url')} /></label>
      </fieldset>
      <button type="submit">Create</button>
    </form>`;
}
