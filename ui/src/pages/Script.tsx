// One script: its code and settings, its history, and running it. The three
// tabs stay mounted, so unsaved edits survive a look at the history.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { useMe } from '../app';
import type { EditorHandle } from '../monaco/editors';
import { announce, announceError, ConfirmDialog, errorText, Loading, StatusBadge } from '../components/ui';
import { Link, navigate, setNavigationGuard } from '../router';
import { can, type Script } from '../types';
import { ScriptForm } from './ScriptForm';
import { History } from './History';
import { RunPanel } from './Run';
import { typeLabels } from './Scripts';

export type Tab = 'code' | 'history' | 'run';

export function ScriptPage({ id, tab }: { id: string | null; tab: Tab }) {
  const me = useMe();
  const [script, setScript] = useState<Script | null>(null);
  const [err, setErr] = useState('');
  const [dirty, setDirty] = useState(false);
  const [seen, setSeen] = useState<Set<Tab>>(new Set([tab]));
  const [archiving, setArchiving] = useState(false);
  const editor = useRef<EditorHandle | null>(null);

  useEffect(() => {
    if (!id) return;
    api
      .script(id)
      .then(setScript)
      .catch((e) => setErr(errorText(e, 'Could not load the script')));
  }, [id]);

  useEffect(() => setSeen((s) => (s.has(tab) ? s : new Set([...s, tab]))), [tab]);

  // Unsaved edits: ask before leaving the script, or closing the tab.
  useEffect(() => {
    if (!dirty) return;
    const base = id ? `/scripts/${id}` : '/scripts/new';
    setNavigationGuard((url) => url.startsWith(base) || confirm('This script has unsaved changes. Leave without saving?'));
    const unload = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', unload);
    return () => {
      setNavigationGuard(null);
      window.removeEventListener('beforeunload', unload);
    };
  }, [dirty, id]);

  if (err) {
    return (
      <section>
        <h1 tabIndex={-1}>Script not available</h1>
        <p class="field-error" role="alert">
          {err}
        </p>
        <p>
          <Link href="/scripts">Back to the scripts</Link>
        </p>
      </section>
    );
  }
  if (id && !script) return <Loading what="the script" />;

  const onSaved = (s: Script) => {
    setScript(s);
    setDirty(false);
  };
  const onRolledBack = (s: Script) => {
    setScript(s);
    if (s.source !== undefined) editor.current?.setValue(s.source);
    setDirty(false);
  };

  const archive = async () => {
    setArchiving(false);
    try {
      await api.archiveScript(script!.id);
      announce('success', `Script ${script!.name} archived. Its versions and executions are kept.`);
      setScript({ ...script!, status: 'archived' });
    } catch (e) {
      announceError(e, 'Could not archive the script');
    }
  };

  const tabs: { id: Tab; label: string; href: string }[] = id
    ? [
        { id: 'code', label: 'Code and settings', href: `/scripts/${id}` },
        { id: 'history', label: 'History', href: `/scripts/${id}/history` },
        { id: 'run', label: 'Run', href: `/scripts/${id}/run` },
      ]
    : [];

  return (
    <section class="script-page">
      <div class="page-head">
        <div>
          <p class="breadcrumb">
            <Link href="/scripts">Scripts</Link> <span aria-hidden="true">/</span>
          </p>
          <h1 tabIndex={-1}>
            {script ? script.name : 'New script'}
            {dirty && <span class="dirty"> (unsaved changes)</span>}
          </h1>
          {script && (
            <p class="meta">
              <StatusBadge status={script.status} /> <span>{typeLabels[script.type]}</span>{' '}
              <span>
                version <strong data-testid="current-version">{script.version}</strong>
              </span>{' '}
              <span>{script.language === 'javascript' ? 'JavaScript' : 'TypeScript'}</span>
            </p>
          )}
        </div>
        {script && can(me.role, 'admin') && script.status !== 'archived' && (
          <button type="button" class="danger-outline" onClick={() => setArchiving(true)}>
            Archive script
          </button>
        )}
      </div>
      {tabs.length > 0 && (
        <nav class="tabs" aria-label="Script sections">
          {tabs.map((t) => (
            <Link key={t.id} href={t.href} aria-current={t.id === tab ? 'page' : undefined}>
              {t.label}
            </Link>
          ))}
        </nav>
      )}
      <div hidden={tab !== 'code'}>
        <ScriptForm
          script={script}
          onSaved={onSaved}
          onCreated={(s) => {
            setDirty(false);
            setNavigationGuard(null);
            navigate(`/scripts/${s.id}`, true);
          }}
          onDirty={setDirty}
          onEditor={(h) => (editor.current = h)}
          active={tab === 'code'}
        />
      </div>
      {script && seen.has('history') && (
        <div hidden={tab !== 'history'}>
          <History script={script} dirty={dirty} onRolledBack={onRolledBack} />
        </div>
      )}
      {script && seen.has('run') && (
        <div hidden={tab !== 'run'}>
          <RunPanel script={script} dirty={dirty} />
        </div>
      )}
      <ConfirmDialog
        open={archiving}
        title={`Archive ${script?.name ?? 'script'}?`}
        confirmLabel="Archive"
        danger
        onConfirm={archive}
        onCancel={() => setArchiving(false)}
      >
        <p>
          An archived script is never triggered and cannot run. Its versions and executions are kept, and an admin can
          set its status back later.
        </p>
      </ConfirmDialog>
    </section>
  );
}
