// Running a script by hand with a JSON input, and its recent executions.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { useMe } from '../app';
import { ExecutionResult, ExecutionTable, useExecutions, waitForExecution } from '../components/Executions';
import { announce, announceError, Empty, Loading } from '../components/ui';
import { Link } from '../router';
import { can, type Execution, type Script } from '../types';

const inputs = new Map<string, string>(); // the last input per script, for this tab

export function RunPanel({ script, dirty }: { script: Script; dirty: boolean }) {
  const me = useMe();
  const [input, setInput] = useState(inputs.get(script.id) ?? '{\n  "name": "Ada"\n}');
  const [inputErr, setInputErr] = useState('');
  const [exec, setExec] = useState<Execution | null>(null);
  const [running, setRunning] = useState(false);
  const [refresh, setRefresh] = useState(0);
  const abort = useRef<AbortController | null>(null);
  const { list, cursor, err, polling, loadMore } = useExecutions({ script: script.id }, refresh);

  useEffect(() => () => abort.current?.abort(), []);

  const run = async () => {
    let value: unknown;
    try {
      value = input.trim() === '' ? null : JSON.parse(input);
      setInputErr('');
    } catch (e) {
      setInputErr(`The input is not valid JSON: ${(e as Error).message}`);
      document.getElementById('run-input')?.focus();
      return;
    }
    inputs.set(script.id, input);
    abort.current?.abort();
    const ctl = new AbortController();
    abort.current = ctl;
    setRunning(true);
    setExec(null);
    try {
      const started = await api.execute(script.id, value, true);
      setExec(started);
      setRefresh((r) => r + 1);
      let last = started;
      await waitForExecution(started.id, ctl.signal, (e) => {
        last = e;
        setExec(e);
      });
      if (ctl.signal.aborted) return;
      setRefresh((r) => r + 1);
      if (last.status === 'completed') announce('success', `Run finished: completed in ${last.durationMs.toFixed(1)} ms.`, 'run');
      else announce('error', `Run finished: ${last.status}${last.error ? ` with ${last.error.code}: ${last.error.message}` : ''}.`, 'run');
    } catch (e) {
      announceError(e, 'Could not run the script', 'run');
    } finally {
      if (!ctl.signal.aborted) setRunning(false);
    }
  };

  const mayRun = can(me.role, 'developer') && script.status !== 'archived' && script.status !== 'disabled';

  return (
    <div class="run">
      <div class="run-layout">
        <form
          class="run-form"
          aria-label="Run the script"
          onSubmit={(e) => {
            e.preventDefault();
            void run();
          }}
        >
          <h2>Run</h2>
          <p class="muted small">
            Runs the saved version, v{script.version}, as a manual execution.
            {dirty && <strong> The editor has unsaved changes: save them to run them.</strong>}
          </p>
          <label for="run-input">Input (JSON)</label>
          <textarea
            id="run-input"
            class="mono"
            rows={8}
            spellcheck={false}
            value={input}
            aria-invalid={inputErr ? true : undefined}
            aria-describedby={inputErr ? 'run-input-error run-input-help' : 'run-input-help'}
            onInput={(e) => setInput((e.target as HTMLTextAreaElement).value)}
            onKeyDown={(e) => {
              if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
                e.preventDefault();
                void run();
              }
            }}
          />
          <p id="run-input-help" class="muted small">
            Passed to the handler as its first argument. Ctrl+Enter runs.
          </p>
          {inputErr && (
            <p id="run-input-error" class="field-error" role="alert">
              {inputErr}
            </p>
          )}
          {mayRun ? (
            <button type="submit" class="primary" disabled={running}>
              {running ? 'Running…' : 'Run'}
            </button>
          ) : (
            <p class="muted small">
              {can(me.role, 'developer') ? `A ${script.status} script cannot run.` : `Your key has the ${me.role} role, which cannot run scripts.`}
            </p>
          )}
        </form>
        <div class="run-output" aria-live="polite" aria-busy={running}>
          <h2>Result</h2>
          {!exec && !running && <p class="muted">Run the script to see its output, logs and errors here.</p>}
          {!exec && running && <Loading what="the result" />}
          {exec && (
            <>
              <p class="small">
                <Link href={`/executions/${exec.id}`}>Open execution …{exec.id.slice(-8)}</Link>
              </p>
              <ExecutionResult exec={exec} />
            </>
          )}
        </div>
      </div>

      <h2>
        Recent executions {polling && <span class="muted small">(refreshing while runs are pending)</span>}
      </h2>
      {err && (
        <p class="field-error" role="alert">
          {err}
        </p>
      )}
      {list === null && !err && <Loading what="executions" />}
      {list?.length === 0 && (
        <Empty title="No executions yet">
          <p>Run the script above, or trigger it, and its executions appear here.</p>
        </Empty>
      )}
      {list && list.length > 0 && <ExecutionTable executions={list} caption={`Recent executions of ${script.name}`} />}
      {cursor && (
        <button type="button" onClick={() => void loadMore().catch((e) => announceError(e))}>
          Load more executions
        </button>
      )}
    </div>
  );
}
