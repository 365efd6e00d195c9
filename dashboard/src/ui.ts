import { html } from 'htm/preact';
import type { ComponentChildren } from 'preact';

// Small shared pieces: notices, a once-shown secret, badges, a scrollable table wrapper.

export function Notice({ kind, children }: { kind: 'error' | 'ok'; children: ComponentChildren }) {
  return html`<p class=${`notice ${kind}`} role=${kind === 'error' ? 'alert' : 'status'}>${children}</p>`;
}

export function ShownOnce({ label, value, onDone }: { label: string; value: string; onDone: () => void }) {
  return html`<section class="shown-once" aria-label=${label}>
    <h2>${label}</h2>
    <p>Shown once: copy it now. The vault keeps only a hash or a sealed copy.</p>
    <code class="secret">${value}</code>
    <button type="button" onClick=${onDone}>Done</button>
  </section>`;
}

export function Badge({
  tone,
  children,
}: {
  tone: 'warn' | 'bad' | 'ok' | 'muted';
  children: ComponentChildren;
}) {
  return html`<span class=${`badge ${tone}`}>${children}</span>`;
}

export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  // Focusable so keyboard users can scroll a wide table on a narrow screen.
  return html`<div class="table-wrap" role="region" aria-label=${label} tabindex="0">${children}</div>`;
}
