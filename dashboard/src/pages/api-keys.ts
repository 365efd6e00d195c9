import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { SCOPES, type Scope } from '../../../lib/auth/scopes.js';
import { api, errorText, when } from '../api.js';
import type { ApiKey, ApiKeyList, CreatedApiKey } from '../types.js';
import { Notice, ShownOnce, TableWrap } from '../ui.js';

export function ApiKeysPage({ selfKeyId }: { selfKeyId: string }) {
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>([]);
  const [shown, setShown] = useState<string | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    api<ApiKeyList>('GET', '/v1/api-keys?limit=100')
      .then((p) => setKeys(p.data))
      .catch((err) => setError(errorText(err)));
  useEffect(() => {
    void load();
  }, []);

  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const made = await api<CreatedApiKey>('POST', '/v1/api-keys', { name, scopes });
      setShown(made.api_key);
      setName('');
      setScopes([]);
      setError('');
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const revoke = async (id: string) => {
    try {
      await api('DELETE', `/v1/api-keys/${encodeURIComponent(id)}`);
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const toggle = (s: Scope) => (e: Event) =>
    setScopes((e.target as HTMLInputElement).checked ? [...scopes, s] : scopes.filter((x) => x !== s));

  return html`<h1>API keys</h1>
    ${error && html`<${Notice} kind="error">${error}<//>`}
    ${shown ? html`<${ShownOnce} label="New API key" value=${shown} onDone=${() => setShown(null)} />` : null}
    <${TableWrap} label="API keys">
      <table>
        <thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          ${keys.map(
            (k) => html`<tr key=${k.id}>
              <td>${k.name}</td><td><code>${k.prefix}</code></td><td>${k.scopes.join(', ')}</td>
              <td>${when(k.created_at)}</td><td>${when(k.last_used_at)}</td>
              <td>${k.id === selfKeyId ? html`<span class="muted">this session's key</span>` : html`<button type="button" class="danger" onClick=${() => revoke(k.id)}>Revoke</button>`}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    <//>
    <h2>New API key</h2>
    <form class="stack" onSubmit=${create}>
      <label>Name <input name="name" required value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} /></label>
      <fieldset>
        <legend>Scopes</legend>
        ${SCOPES.map(
          (s) =>
            html`<label class="check"><input type="checkbox" name="scopes" value=${s} checked=${scopes.includes(s)} onChange=${toggle(s)} /> ${s}</label>`,
        )}
      </fieldset>
      <button type="submit" disabled=${scopes.length === 0}>Create</button>
    </form>`;
}
