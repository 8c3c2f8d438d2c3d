// Execution tables, details and logs, shared by the Run tab, the
// Executions page and the execution page.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, sleep } from '../api';
import { Link } from '../router';
import { finished, type Execution, type LogLine } from '../types';
import { bytes, Duration, errorText, JsonBlock, StatusBadge, Time } from './ui';

/**
 * Loads a list of executions and reloads it every interval while one of
 * them is pending or running (and once more when they finish).
 */
export function useExecutions(params: { script?: string; status?: string; trigger?: string }, refreshKey = 0) {
  const [list, setList] = useState<Execution[] | null>(null);
  const [cursor, setCursor] = useState('');
  const [err, setErr] = useState('');
  const [polling, setPolling] = useState(false);
  const extra = useRef<Execution[]>([]); // pages loaded with "load more"
  const key = JSON.stringify(params);

  useEffect(() => {
    const ctl = new AbortController();
    extra.current = [];
    setList(null);
    setErr('');
    (async () => {
      let wasActive = false;
      while (!ctl.signal.aborted) {
        try {
          const r = await api.executions({ ...params, limit: 50 });
          if (ctl.signal.aborted) return;
          const seen = new Set(r.executions.map((e) => e.id));
          setList([...r.executions, ...extra.current.filter((e) => !seen.has(e.id))]);
          if (extra.current.length === 0) setCursor(r.nextCursor);
          setErr('');
          const active = r.executions.some((e) => !finished(e.status));
          setPolling(active);
          if (!active && !wasActive) return;
          wasActive = active;
        } catch (e) {
          if (ctl.signal.aborted) return;
          setErr(errorText(e, 'Could not load executions'));
          setPolling(false);
          return;
        }
        await sleep(1000, ctl.signal);
      }
    })();
    return () => ctl.abort();
    // params is compared by value, through key.
  }, [key, refreshKey]);

  const loadMore = async () => {
    try {
      const r = await api.executions({ ...params, limit: 50, cursor });
      extra.current = [...extra.current, ...r.executions];
      setList((l) => [...(l ?? []), ...r.executions]);
      setCursor(r.nextCursor);
    } catch (e) {
      setErr(errorText(e, 'Could not load more executions'));
    }
  };
  return { list, cursor, err, polling, loadMore };
}

export function ExecutionTable({
  executions,
  scriptNames,
  caption,
}: {
  executions: Execution[];
  scriptNames?: Map<string, string>;
  caption: string;
}) {
  return (
    <div class="table-wrap">
      <table class="table" data-testid="executions-table">
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Execution</th>
            {scriptNames && <th scope="col">Script</th>}
            <th scope="col">Status</th>
            <th scope="col">Trigger</th>
            <th scope="col">Version</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {executions.map((e) => (
            <tr key={e.id}>
              <td>
                <Link href={`/executions/${e.id}`} class="mono" aria-label={`Execution ${e.id.slice(-8)}`}>
                  …{e.id.slice(-8)}
                </Link>
              </td>
              {scriptNames && (
                <td>
                  <Link href={`/scripts/${e.scriptId}`}>{scriptNames.get(e.scriptId) ?? e.scriptId}</Link>
                </td>
              )}
              <td>
                <StatusBadge status={e.status} />
                {e.error && <span class="muted small"> {e.error.code}</span>}
              </td>
              <td>{e.trigger}</td>
              <td>v{e.version}</td>
              <td>
                <Time iso={e.startedAt ?? e.createdAt} />
              </td>
              <td>{finished(e.status) ? <Duration ms={e.durationMs} /> : <span class="muted">…</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Logs({ logs, truncated }: { logs?: LogLine[]; truncated?: boolean }) {
  if (!logs || logs.length === 0) return <p class="muted">No log lines.</p>;
  return (
    <div class="table-wrap">
      <table class="table logs" data-testid="logs">
        <caption class="visually-hidden">Log lines</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Level</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {logs.map((l, i) => (
            <tr key={i} class={`log-${l.level}`}>
              <td class="mono small nowrap">
                <time dateTime={l.time}>{new Date(l.time).toLocaleTimeString()}</time>
              </td>
              <td>
                <span class={`level level-${l.level}`}>{l.level}</span>
              </td>
              <td class="mono pre-wrap">
                {l.message}
                {l.fields && Object.keys(l.fields).length > 0 && <span class="muted"> {JSON.stringify(l.fields)}</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {truncated && <p class="muted small">The log was truncated at the server's cap.</p>}
    </div>
  );
}

/** An execution's outcome: status, error, output, logs and timing. */
export function ExecutionResult({ exec, showInput }: { exec: Execution; showInput?: boolean }) {
  return (
    <div class="result" data-testid="execution-result" data-status={exec.status}>
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={exec.status} />
          </dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{finished(exec.status) ? <Duration ms={exec.durationMs} /> : '…'}</dd>
        </div>
        <div>
          <dt>Trigger</dt>
          <dd>{exec.trigger}</dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd>v{exec.version}</dd>
        </div>
        <div>
          <dt>Memory</dt>
          <dd>{bytes(exec.memoryBytes)}</dd>
        </div>
        <div>
          <dt>Host calls</dt>
          <dd>{exec.hostCalls}</dd>
        </div>
      </dl>
      {exec.error && (
        <div class="error-box" data-testid="execution-error">
          <h3>
            Error <code>{exec.error.code}</code>
          </h3>
          <p class="pre-wrap">{exec.error.message}</p>
          {exec.error.position && (
            <p class="muted small">
              at <code>{exec.error.position}</code>
            </p>
          )}
          {exec.error.stack && (
            <details>
              <summary>Stack</summary>
              <pre class="json">{exec.error.stack}</pre>
            </details>
          )}
        </div>
      )}
      {showInput && (
        <>
          <h3>Input</h3>
          <JsonBlock value={exec.input} label="Input" />
        </>
      )}
      {exec.status === 'completed' && (
        <>
          <h3>Output</h3>
          <JsonBlock value={exec.output} label="Output" />
        </>
      )}
      <h3>Logs</h3>
      <Logs logs={exec.logs} truncated={exec.logsTruncated} />
    </div>
  );
}

/** Polls an execution until it finishes (a new record may 404 at first). */
export async function waitForExecution(id: string, signal: AbortSignal, onUpdate: (e: Execution) => void): Promise<void> {
  let misses = 0;
  while (!signal.aborted) {
    try {
      const e = await api.execution(id);
      onUpdate(e);
      if (finished(e.status)) return;
    } catch (err) {
      if (++misses > 10) throw err;
    }
    await sleep(400, signal);
  }
}
