import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { EVENT_TYPES } from '../../../lib/events/types.js';
import { api, errorText, when } from '../api.js';
import type {
  Webhook,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookList,
  WebhookWithSecret,
} from '../types.js';
import { Badge, Notice, ShownOnce, TableWrap } from '../ui.js';

const SUBSCRIBABLE = EVENT_TYPES.filter((t) => t !== 'ping');
type WithSecret = WebhookWithSecret;

export function WebhooksPage() {
  const [hooks, setHooks] = useState<Webhook[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([...SUBSCRIBABLE]);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [note, setNote] = useState('');

  const load = () =>
    api<WebhookList>('GET', '/v1/webhooks?limit=100')
      .then((p) => setHooks(p.data))
      .catch((err) => setError(errorText(err)));
  useEffect(() => {
    void load();
  }, []);

  const act = async (fn: () => Promise<void>) => {
    try {
      await fn();
      setError('');
    } catch (err) {
      setError(errorText(err));
    }
  };
  const create = (e: Event) => {
    e.preventDefault();
    return act(async () => {
      const made = await api<WithSecret>('POST', '/v1/webhooks', { url, events });
      setSecret(made.secret);
      setUrl('');
      await load();
    });
  };
  const rotate = (id: string) =>
    act(async () => setSecret((await api<WithSecret>('POST', `/v1/webhooks/${id}/rotate-secret`)).secret));
  const test = (id: string) =>
    act(async () => {
      await api('POST', `/v1/webhooks/${id}/test`);
      setNote('Test event queued: follow it in the delivery log.');
      setSelected(id);
    });
  const remove = (id: string) =>
    act(async () => {
      await api('DELETE', `/v1/webhooks/${id}`);
      if (selected === id) setSelected(null);
      await load();
    });

  return html`<h1>Webhooks</h1>
    ${error && html`<${Notice} kind="error">${error}<//>`}
    ${note && html`<${Notice} kind="ok">${note}<//>`}
    ${secret ? html`<${ShownOnce} label="Signing secret" value=${secret} onDone=${() => setSecret(null)} />` : null}
    <${TableWrap} label="Webhook endpoints">
      <table>
        <thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          ${hooks.map(
            (h) => html`<tr key=${h.id}>
              <td><code>${h.url}</code></td><td>${h.events.join(', ')}</td>
              <td>${h.status === 'active' ? html`<${Badge} tone="ok">active<//>` : html`<${Badge} tone="bad">disabled<//>`}</td>
              <td>${when(h.created_at)}</td>
              <td class="actions">
                <button type="button" onClick=${() => setSelected(h.id)}>Deliveries</button>
                <button type="button" onClick=${() => test(h.id)}>Send test</button>
                <button type="button" onClick=${() => rotate(h.id)}>Rotate secret</button>
                <button type="button" class="danger" onClick=${() => remove(h.id)}>Delete</button>
              </td>
            </tr>`,
          )}
          ${hooks.length === 0 ? html`<tr><td colspan="5">No endpoints yet.</td></tr>` : null}
        </tbody>
      </table>
    <//>
    ${selected ? html`<${Deliveries} webhookId=${selected} hook=${hooks.find((h) => h.id === selected)} />` : null}
    <h2>New endpoint</h2>
    <form class="stack" onSubmit=${create}>
      <label>URL <input name="url" type="url" required value=${url} onInput=${(e: Event) => setUrl((e.target as HTMLInputElement).value)} /></label>
      <fieldset>
        <legend>Events</legend>
        ${SUBSCRIBABLE.map(
          (t) => html`<label class="check"><input type="checkbox" value=${t} checked=${events.includes(t)}
            onChange=${(e: Event) => setEvents((e.target as HTMLInputElement).checked ? [...events, t] : events.filter((x) => x !== t))} /> ${t}</label>`,
        )}
      </fieldset>
      <button type="submit" disabled=${events.length === 0}>Create</button>
    </form>`;
}

function lastAttempt(d: WebhookDelivery) {
  return d.attempt_log[d.attempt_log.length - 1];
}

function Deliveries({ webhookId, hook }: { webhookId: string; hook?: Webhook }) {
  const [rows, setRows] = useState<WebhookDelivery[]>([]);
  const [error, setError] = useState('');
  const load = () =>
    api<WebhookDeliveryList>('GET', `/v1/webhooks/${webhookId}/deliveries?limit=50`)
      .then((p) => setRows(p.data))
      .catch((err) => setError(errorText(err)));
  useEffect(() => {
    void load();
  }, [webhookId]);
  const retry = async (id: string) => {
    try {
      await api('POST', `/v1/webhooks/${webhookId}/deliveries/${id}/retry`);
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return html`<section aria-labelledby="deliveries-title">
    <h2 id="deliveries-title">Delivery log${hook ? html` — <code>${hook.url}</code>` : ''}</h2>
    <button type="button" onClick=${load}>Refresh log</button>
    ${error && html`<${Notice} kind="error">${error}<//>`}
    <${TableWrap} label="Deliveries">
      <table>
        <thead><tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last response</th><th scope="col">Duration</th><th scope="col">Next attempt</th><th scope="col">Outcome</th><th scope="col">Created</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          ${rows.map((d) => {
            const last = lastAttempt(d);
            const tone =
              d.status === 'succeeded'
                ? 'ok'
                : d.status === 'failed'
                  ? 'bad'
                  : d.status === 'pending'
                    ? 'warn'
                    : 'muted';
            return html`<tr key=${d.id}>
              <td>${d.event_type}</td><td><${Badge} tone=${tone}>${d.status}<//></td><td>${d.attempts}</td>
              <td title=${d.attempt_log.map((a) => `#${a.attempt}: ${a.status_code ?? a.error}`).join('\n')}>${last ? (last.status_code ?? last.error ?? '—') : '—'}</td>
              <td>${last ? `${last.duration_ms} ms` : '—'}</td><td>${when(d.next_attempt_at)}</td>
              <td>${d.outcome ?? '—'}</td><td>${when(d.created_at)}</td>
              <td>${d.status === 'failed' ? html`<button type="button" onClick=${() => retry(d.id)}>Retry</button>` : null}</td>
            </tr>`;
          })}
          ${rows.length === 0 ? html`<tr><td colspan="9">No deliveries yet.</td></tr>` : null}
        </tbody>
      </table>
    <//>
  </section>`;
}
