import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { useMe } from '../app';
import { Empty, errorText, Loading, StatusBadge, Time } from '../components/ui';
import { Link, navigate, useLocation, withQuery } from '../router';
import { can, scriptStatuses, scriptTypes, type Execution, type Script } from '../types';

export const typeLabels: Record<string, string> = {
  http: 'HTTP',
  event: 'Event',
  scheduled: 'Scheduled',
  manual: 'Manual',
  embedded: 'Embedded',
};

/**
 * The latest execution of each script: from the script itself when the
 * server includes it, else from one page of recent executions, else one
 * small query per script that page did not cover.
 */
async function lastRuns(scripts: Script[], signal: AbortSignal): Promise<Map<string, Execution>> {
  const runs = new Map<string, Execution>();
  for (const s of scripts) if (s.lastExecution) runs.set(s.id, s.lastExecution);
  let missing = scripts.filter((s) => !runs.has(s.id));
  if (missing.length === 0) return runs;
  const recent = await api.executions({ limit: 200 });
  for (const e of recent.executions) if (!runs.has(e.scriptId)) runs.set(e.scriptId, e);
  if (!recent.nextCursor) return runs; // every execution was in that page
  missing = missing.filter((s) => !runs.has(s.id));
  const queue = [...missing];
  const worker = async () => {
    for (let s = queue.shift(); s && !signal.aborted; s = queue.shift()) {
      const r = await api.executions({ script: s.id, limit: 1 });
      if (r.executions[0]) runs.set(s.id, r.executions[0]);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return runs;
}

export function ScriptsPage() {
  const me = useMe();
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const type = query.get('type') ?? '';
  const status = query.get('status') ?? '';

  const [search, setSearch] = useState(q);
  const [scripts, setScripts] = useState<Script[] | null>(null);
  const [cursor, setCursor] = useState('');
  const [runs, setRuns] = useState<Map<string, Execution>>(new Map());
  const [err, setErr] = useState('');
  const [loadingMore, setLoadingMore] = useState(false);
  const debounce = useRef<number>();

  const setFilter = (p: Record<string, string>) => navigate(withQuery('/scripts', { q, type, status, ...p }), true);

  useEffect(() => {
    const ctl = new AbortController();
    setScripts(null);
    setErr('');
    api
      .scripts({ q, type, status, limit: 50 })
      .then(async (r) => {
        if (ctl.signal.aborted) return;
        setScripts(r.scripts);
        setCursor(r.nextCursor);
        const m = await lastRuns(r.scripts, ctl.signal);
        if (!ctl.signal.aborted) setRuns(m);
      })
      .catch((e) => !ctl.signal.aborted && setErr(errorText(e, 'Could not load the scripts')));
    return () => ctl.abort();
  }, [q, type, status]);

  const loadMore = async () => {
    setLoadingMore(true);
    try {
      const r = await api.scripts({ q, type, status, limit: 50, cursor });
      const all = [...(scripts ?? []), ...r.scripts];
      setScripts(all);
      setCursor(r.nextCursor);
      setRuns(await lastRuns(all, new AbortController().signal));
    } catch (e) {
      setErr(errorText(e, 'Could not load more scripts'));
    } finally {
      setLoadingMore(false);
    }
  };

  const filtered = q !== '' || type !== '' || status !== '';
  const mayCreate = can(me.role, 'developer');

  return (
    <section>
      <div class="page-head">
        <h1 tabIndex={-1}>Scripts</h1>
        {mayCreate && (
          <Link href="/scripts/new" class="button primary">
            New script
          </Link>
        )}
      </div>
      <form class="filters" role="search" aria-label="Filter scripts" onSubmit={(e) => e.preventDefault()}>
        <label>
          <span>Search</span>
          <input
            type="search"
            value={search}
            placeholder="Name or description"
            onInput={(e) => {
              const v = (e.target as HTMLInputElement).value;
              setSearch(v);
              clearTimeout(debounce.current);
              debounce.current = window.setTimeout(() => setFilter({ q: v.trim() }), 250);
            }}
          />
        </label>
        <label>
          <span>Type</span>
          <select value={type} onChange={(e) => setFilter({ type: (e.target as HTMLSelectElement).value })}>
            <option value="">All types</option>
            {scriptTypes.map((t) => (
              <option key={t} value={t}>
                {typeLabels[t]}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Status</span>
          <select value={status} onChange={(e) => setFilter({ status: (e.target as HTMLSelectElement).value })}>
            <option value="">All statuses</option>
            {scriptStatuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        {filtered && (
          <button
            type="button"
            onClick={() => {
              setSearch('');
              navigate('/scripts', true);
            }}
          >
            Clear filters
          </button>
        )}
      </form>

      {err && (
        <p class="field-error" role="alert">
          {err}
        </p>
      )}
      {scripts === null && !err && <Loading what="scripts" />}

      {scripts?.length === 0 &&
        (filtered ? (
          <Empty title="No scripts match these filters">
            <p>Try another search, or clear the filters to see every script.</p>
            <button
              type="button"
              onClick={() => {
                setSearch('');
                navigate('/scripts', true);
              }}
            >
              Clear filters
            </button>
          </Empty>
        ) : (
          <Empty title="No scripts yet">
            {mayCreate ? (
              <>
                <p>
                  A script is a function that runs on an HTTP request, an event, a schedule or by hand. Write your first
                  one in the browser, save it, and run it.
                </p>
                <Link href="/scripts/new" class="button primary">
                  Create your first script
                </Link>
              </>
            ) : (
              <p>Your key has the {me.role} role, which can read scripts but not create them. Ask an admin for a developer key.</p>
            )}
          </Empty>
        ))}

      {scripts && scripts.length > 0 && (
        <>
          <p class="muted" role="status">
            {scripts.length} script{scripts.length === 1 ? '' : 's'}
            {cursor ? ' (more to load)' : ''}
          </p>
          <div class="table-wrap">
            <table class="table" data-testid="scripts-table">
              <caption class="visually-hidden">Scripts</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Version</th>
                  <th scope="col">Last run</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {scripts.map((s) => {
                  const run = runs.get(s.id);
                  return (
                    <tr key={s.id}>
                      <td>
                        <Link href={`/scripts/${s.id}`} class="strong">
                          {s.name}
                        </Link>
                        {s.description && <div class="muted small clamp">{s.description}</div>}
                      </td>
                      <td>{typeLabels[s.type] ?? s.type}</td>
                      <td>
                        <StatusBadge status={s.status} />
                      </td>
                      <td>v{s.version}</td>
                      <td>
                        {run ? (
                          <span class="stack">
                            <Link href={`/executions/${run.id}`} aria-label={`Last run ${run.status}, open execution`}>
                              <StatusBadge status={run.status} />
                            </Link>
                            <Time iso={run.createdAt} />
                          </span>
                        ) : (
                          <span class="muted">never run</span>
                        )}
                      </td>
                      <td>
                        <Time iso={s.updatedAt} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          {cursor && (
            <button type="button" onClick={loadMore} disabled={loadingMore}>
              {loadingMore ? 'Loading…' : 'Load more scripts'}
            </button>
          )}
        </>
      )}
    </section>
  );
}
