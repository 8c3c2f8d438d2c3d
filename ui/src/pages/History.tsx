// A script's versions: who wrote each and why, a side-by-side diff of any
// two, and rollback (which writes a new version).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { useMe } from '../app';
import { DiffView } from '../components/Code';
import { announce, announceError, ConfirmDialog, errorText, Loading, Time } from '../components/ui';
import { can, type Script, type Version } from '../types';

/** "key:01ab…" → "API key 01ab…"; "operator" stays. */
export function author(createdBy: string): string {
  if (createdBy.startsWith('key:')) return `API key …${createdBy.slice(4).slice(-8)}`;
  return createdBy || 'unknown';
}

const sources = new Map<string, string>();
async function sourceOf(scriptId: string, n: number): Promise<string> {
  const k = `${scriptId}@${n}`;
  if (!sources.has(k)) sources.set(k, (await api.version(scriptId, n)).source ?? '');
  return sources.get(k)!;
}

export function History({ script, dirty, onRolledBack }: { script: Script; dirty: boolean; onRolledBack: (s: Script) => void }) {
  const me = useMe();
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [err, setErr] = useState('');
  const [from, setFrom] = useState(Math.max(1, script.version - 1));
  const [to, setTo] = useState(script.version);
  const [diff, setDiff] = useState<{ original: string; modified: string; from: number; to: number } | null>(null);
  const [diffErr, setDiffErr] = useState('');
  const [target, setTarget] = useState<number | null>(null);
  const [why, setWhy] = useState('');

  useEffect(() => {
    api
      .versions(script.id)
      .then((r) => setVersions(r.versions))
      .catch((e) => setErr(errorText(e, 'Could not load the versions')));
    setFrom(Math.max(1, script.version - 1));
    setTo(script.version);
  }, [script.id, script.version]);

  useEffect(() => {
    let gone = false;
    setDiffErr('');
    Promise.all([sourceOf(script.id, from), sourceOf(script.id, to)])
      .then(([original, modified]) => !gone && setDiff({ original, modified, from, to }))
      .catch((e) => !gone && setDiffErr(errorText(e, 'Could not load the versions to compare')));
    return () => {
      gone = true;
    };
  }, [script.id, from, to]);

  const rollback = async () => {
    const n = target!;
    setTarget(null);
    try {
      const s = await api.rollback(script.id, n, why.trim() || undefined);
      setWhy('');
      announce('success', `Version ${s.version} created: a copy of version ${n}.`, 'save');
      onRolledBack(s);
    } catch (e) {
      announceError(e, `Could not roll back to version ${n}`, 'save');
    }
  };

  const mayRollback = can(me.role, 'developer') && script.status !== 'archived';
  const numbers = versions?.map((v) => v.version) ?? [script.version];

  return (
    <div class="history">
      <h2>Versions</h2>
      {err && (
        <p class="field-error" role="alert">
          {err}
        </p>
      )}
      {!versions && !err && <Loading what="versions" />}
      {versions && (
        <div class="table-wrap">
          <table class="table" data-testid="versions-table">
            <caption class="visually-hidden">Versions of {script.name}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Change</th>
                <th scope="col">Author</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.version}>
                  <td>
                    v{v.version}
                    {v.version === script.version && <span class="badge badge-ok current">current</span>}
                  </td>
                  <td>{v.changeDescription || <span class="muted">—</span>}</td>
                  <td title={v.createdBy}>{author(v.createdBy)}</td>
                  <td>
                    <Time iso={v.createdAt} absolute />
                  </td>
                  <td>
                    <div class="actions">
                    {v.version !== script.version && (
                      <button
                        type="button"
                        onClick={() => {
                          setFrom(v.version);
                          setTo(script.version);
                          document.getElementById('diff-heading')?.scrollIntoView({ block: 'start' });
                        }}
                      >
                        Compare v{v.version} with current
                      </button>
                    )}
                    {mayRollback && v.version !== script.version && (
                      <button type="button" class="danger-outline" onClick={() => setTarget(v.version)}>
                        Roll back to v{v.version}
                      </button>
                    )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2 id="diff-heading">Compare versions</h2>
      <div class="filters" role="group" aria-label="Versions to compare">
        <label>
          <span>From (left)</span>
          <select value={from} onChange={(e) => setFrom(Number((e.target as HTMLSelectElement).value))}>
            {numbers.map((n) => (
              <option key={n} value={n}>
                v{n}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>To (right)</span>
          <select value={to} onChange={(e) => setTo(Number((e.target as HTMLSelectElement).value))}>
            {numbers.map((n) => (
              <option key={n} value={n}>
                v{n}
              </option>
            ))}
          </select>
        </label>
        <p class="muted small" aria-live="polite" data-testid="diff-summary">
          {diff && (diff.original === diff.modified ? `v${diff.from} and v${diff.to} have the same code.` : `Showing the changes from v${diff.from} to v${diff.to}.`)}
        </p>
      </div>
      {diffErr && (
        <p class="field-error" role="alert">
          {diffErr}
        </p>
      )}
      {diff && <DiffView original={diff.original} modified={diff.modified} ariaLabel={`Differences between version ${diff.from} and version ${diff.to}`} />}

      <ConfirmDialog
        open={target !== null}
        title={`Roll back to version ${target}?`}
        confirmLabel={`Create version ${script.version + 1}`}
        onConfirm={rollback}
        onCancel={() => setTarget(null)}
      >
        <p>
          This writes a new version, v{script.version + 1}, with the code and trigger of v{target}. No version is deleted:
          you can roll forward again the same way.
        </p>
        {dirty && <p class="field-error">Your unsaved edits in the editor will be replaced.</p>}
        <label for="rollback-why">Change description (optional)</label>
        <input id="rollback-why" value={why} onInput={(e) => setWhy((e.target as HTMLInputElement).value)} placeholder={`rollback to version ${target}`} />
      </ConfirmDialog>
    </div>
  );
}
