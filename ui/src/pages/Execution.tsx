import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { ExecutionResult, waitForExecution } from '../components/Executions';
import { errorText, Loading, Time } from '../components/ui';
import { Link } from '../router';
import type { Execution, Script } from '../types';

export function ExecutionPage({ id }: { id: string }) {
  const [exec, setExec] = useState<Execution | null>(null);
  const [script, setScript] = useState<Script | null>(null);
  const [err, setErr] = useState('');

  useEffect(() => {
    const ctl = new AbortController();
    // Follows a pending execution until it finishes.
    waitForExecution(id, ctl.signal, setExec).catch((e) => setErr(errorText(e, 'Could not load the execution')));
    return () => ctl.abort();
  }, [id]);

  useEffect(() => {
    if (exec?.scriptId && !script) api.script(exec.scriptId).then(setScript).catch(() => {});
  }, [exec?.scriptId]);

  return (
    <section>
      <p class="breadcrumb">
        <Link href="/executions">Executions</Link> <span aria-hidden="true">/</span>
      </p>
      <h1 tabIndex={-1}>Execution …{id.slice(-8)}</h1>
      {err && (
        <p class="field-error" role="alert">
          {err}
        </p>
      )}
      {!exec && !err && <Loading what="the execution" />}
      {exec && (
        <>
          <dl class="facts">
            <div>
              <dt>Script</dt>
              <dd>
                <Link href={`/scripts/${exec.scriptId}`}>{script?.name ?? exec.scriptId}</Link>
              </dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>
                <Time iso={exec.createdAt} absolute />
              </dd>
            </div>
            <div>
              <dt>Started</dt>
              <dd>
                <Time iso={exec.startedAt} absolute />
              </dd>
            </div>
            <div>
              <dt>Finished</dt>
              <dd>
                <Time iso={exec.finishedAt} absolute />
              </dd>
            </div>
            <div>
              <dt>ID</dt>
              <dd class="mono small">{exec.id}</dd>
            </div>
          </dl>
          <ExecutionResult exec={exec} showInput />
        </>
      )}
    </section>
  );
}
