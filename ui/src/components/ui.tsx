// Small shared pieces: announcements, badges, times, empty states, dialogs.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';

// ---- announcements -------------------------------------------------------

export interface Notice {
  id: number;
  kind: 'error' | 'success' | 'info';
  text: string;
  at: number;
  topic?: string;
}

let notices: Notice[] = [];
let nextId = 1;
const noticeListeners = new Set<(n: Notice[]) => void>();

function publish() {
  noticeListeners.forEach((f) => f(notices));
}

/**
 * Shows a message at the top of the page and has screen readers read it:
 * errors through the assertive region, the rest through the polite one.
 */
export function announce(kind: Notice['kind'], text: string, topic?: string) {
  const n = { id: nextId++, kind, text, at: Date.now(), topic };
  // A newer message on the same topic (a save, a run) replaces the older.
  notices = [...notices.filter((x) => x.text !== text && (!topic || x.topic !== topic)), n].slice(-4);
  publish();
  if (kind !== 'error') setTimeout(() => dismiss(n.id), 8000);
}

export function announceError(err: unknown, what?: string, topic?: string) {
  announce('error', errorText(err, what), topic);
}

export function dismiss(id: number) {
  notices = notices.filter((n) => n.id !== id);
  publish();
}

/** Drops notices older than ms: called on navigation, so old ones do not pile up. */
export function pruneNotices(ms: number) {
  const keep = notices.filter((n) => Date.now() - n.at < ms);
  if (keep.length !== notices.length) {
    notices = keep;
    publish();
  }
}

export function clearNotices() {
  notices = [];
  publish();
}

/** A one-line message for an error: "what: message (CODE)". */
export function errorText(err: unknown, what?: string): string {
  const msg = err instanceof ApiError ? `${err.message} (${err.code})` : err instanceof Error ? err.message : String(err);
  return what ? `${what}: ${msg}` : msg;
}

/** The two live regions and the visible list of notices. */
export function Notices() {
  const [list, setList] = useState(notices);
  useEffect(() => {
    noticeListeners.add(setList);
    return () => {
      noticeListeners.delete(setList);
    };
  }, []);
  const errors = list.filter((n) => n.kind === 'error');
  const others = list.filter((n) => n.kind !== 'error');
  const render = (n: Notice) => (
    <div class={`notice notice-${n.kind}`} key={n.id}>
      <span class="notice-text">
        <span class="visually-hidden">{n.kind === 'error' ? 'Error: ' : ''}</span>
        {n.text}
      </span>
      <button type="button" class="notice-close" aria-label="Dismiss message" onClick={() => dismiss(n.id)}>
        ×
      </button>
    </div>
  );
  return (
    <div class="notices">
      <div role="alert" aria-live="assertive" aria-atomic="false" data-testid="alerts">
        {errors.map(render)}
      </div>
      <div role="status" aria-live="polite" aria-atomic="false" data-testid="status">
        {others.map(render)}
      </div>
    </div>
  );
}

// ---- badges and values -----------------------------------------------------

const badgeTone: Record<string, string> = {
  active: 'ok',
  completed: 'ok',
  replayed: 'ok',
  draft: 'neutral',
  pending: 'wait',
  running: 'wait',
  paused: 'warn',
  timeout: 'warn',
  cancelled: 'neutral',
  disabled: 'muted',
  archived: 'muted',
  discarded: 'muted',
  failed: 'bad',
  dead: 'bad',
};

const badgeIcon: Record<string, string> = { ok: '✓', bad: '✕', warn: '!', wait: '…', neutral: '•', muted: '–' };

/** A status as colour, a shape and the word itself (never colour alone). */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  const tone = badgeTone[status] ?? 'neutral';
  return (
    <span class={`badge badge-${tone}`} data-status={status}>
      <span aria-hidden="true" class="badge-icon">
        {badgeIcon[tone]}
      </span>
      {label ? `${label} ${status}` : status}
    </span>
  );
}

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

export function relative(iso: string, now = Date.now()): string {
  const d = (new Date(iso).getTime() - now) / 1000;
  const abs = Math.abs(d);
  if (abs < 45) return 'just now';
  if (abs < 3600) return rtf.format(Math.round(d / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(d / 3600), 'hour');
  if (abs < 86400 * 30) return rtf.format(Math.round(d / 86400), 'day');
  return new Date(iso).toLocaleDateString();
}

/** A time shown relative ("5 minutes ago") with the exact time on hover. */
export function Time({ iso, absolute }: { iso?: string; absolute?: boolean }) {
  if (!iso) return <span class="muted">—</span>;
  const exact = new Date(iso).toLocaleString();
  return (
    <time dateTime={iso} title={exact}>
      {absolute ? exact : relative(iso)}
    </time>
  );
}

export function Duration({ ms }: { ms?: number }) {
  if (ms === undefined || ms === null) return <span class="muted">—</span>;
  return <span>{ms < 1 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`}</span>;
}

export function bytes(n?: number): string {
  if (!n) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

/** A JSON value, pretty-printed in a labelled, focusable block. */
export function JsonBlock({ value, label }: { value: unknown; label: string }) {
  const text = value === undefined ? '(none)' : JSON.stringify(value, null, 2);
  return (
    <pre class="json" tabIndex={0} aria-label={label}>
      {text}
    </pre>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty" data-testid="empty">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

// ---- dialogs ---------------------------------------------------------------

let nextDialog = 1;

/**
 * A modal confirmation (<dialog>): focus moves into it, Escape cancels, and
 * focus returns to where it was when it closes.
 */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  confirmLabel: string;
  danger?: boolean;
  children?: ComponentChildren;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [titleId] = useState(() => `dialog-title-${nextDialog++}`);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onCancel();
      }}
    >
      <h2 id={titleId}>{props.title}</h2>
      <div class="dialog-body">{props.children}</div>
      <div class="dialog-actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class={props.danger ? 'danger' : 'primary'} onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

/**
 * When the path changes, names the window after the page and moves focus
 * to the page's h1, so screen readers read the new page; a click in the
 * header or the script's tabs keeps the focus where it is.
 */
export function useFocusHeading(dep: unknown) {
  useEffect(() => {
    const h = document.querySelector<HTMLElement>('main h1');
    if (!h) return;
    document.title = `${h.textContent?.trim() || 'Kiln'} · Kiln`;
    const active = document.activeElement as HTMLElement | null;
    const keep = active && active !== document.body && active.isConnected && active.closest('.topbar, .tabs');
    if (!keep) h.focus({ preventScroll: true });
  }, [dep]);
}
