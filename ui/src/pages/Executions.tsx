import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { ExecutionTable, useExecutions } from '../components/Executions';
import { Empty, Loading } from '../components/ui';
import { navigate, useLocation, withQuery } from '../router';
import { executionStatuses, triggers, type Script } from '../types';

/** Every script's name, for filters and tables (first 200 scripts). */
export function useScriptNames() {
  const [scripts, setScripts] = useState<Script[]>([]);
  useEffect(() => {
    api
      .scripts({ limit: 200 })
      .then((r) => setScripts(r.scripts))
      .catch(() => setScripts([]));
  }, []);
  return { scripts, names: new Map(scripts.map((s) => [s.id, s.name])) };
}

export function ExecutionsPage() {
  const { query } = useLocation();
  const script = query.get('script') ?? '';
  const status = query.get('status') ?? '';
  const trigger = query.get('trigger') ?? '';
  const { scripts, names } = useScriptNames();
  const { list, cursor, err, polling, loadMore } = useExecutions({ script, status, trigger });
  const set = (p: Record<string, string>) => navigate(withQuery('/executions', { script, status, trigger, ...p }), true);
  const filtered = script !== '' || status !== '' || trigger !== '';

  return (
    <section>
      <div class="page-head">
        <h1 tabIndex={-1}>Executions</h1>
      </div>
      <form class="filters" aria-label="Filter executions" onSubmit={(e) => e.preventDefault()}>
        <label>
          <span>Script</span>
          <select value={script} onChange={(e) => set({ script: (e.target as HTMLSelectElement).value })}>
            <option value="">All scripts</option>
            {scripts.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
            {script && !names.has(script) && <option value={script}>{script}</option>}
          </select>
        </label>
        <label>
          <span>Status</span>
          <select value={status} onChange={(e) => set({ status: (e.target as HTMLSelectElement).value })}>
            <option value="">All statuses</option>
            {executionStatuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Trigger</span>
          <select value={trigger} onChange={(e) => set({ trigger: (e.target as HTMLSelectElement).value })}>
            <option value="">All triggers</option>
            {triggers.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        {filtered && (
          <button type="button" onClick={() => navigate('/executions', true)}>
            Clear filters
          </button>
        )}
        <p class="muted small" aria-live="polite">
          {polling ? 'Refreshing while runs are pending…' : ''}
        </p>
      </form>
      {err && (
        <p class="field-error" role="alert">
          {err}
        </p>
      )}
      {list === null && !err && <Loading what="executions" />}
      {list?.length === 0 &&
        (filtered ? (
          <Empty title="No executions match these filters">
            <button type="button" onClick={() => navigate('/executions', true)}>
              Clear filters
            </button>
          </Empty>
        ) : (
          <Empty title="No executions yet">
            <p>
              Executions appear here when scripts run: on HTTP requests, events, schedules, or by hand from a script's Run
              tab.
            </p>
          </Empty>
        ))}
      {list && list.length > 0 && <ExecutionTable executions={list} scriptNames={names} caption="Executions, newest first" />}
      {cursor && (
        <button type="button" onClick={() => void loadMore()}>
          Load more executions
        </button>
      )}
    </section>
  );
}
