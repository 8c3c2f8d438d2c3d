// The dead-letter queue: events whose script failed on every attempt.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { useMe } from '../app';
import { announce, announceError, ConfirmDialog, Empty, errorText, JsonBlock, Loading, StatusBadge, Time } from '../components/ui';
import { Link, navigate, useLocation, withQuery } from '../router';
import { can, type DeadLetter } from '../types';
import { useScriptNames } from './Executions';

function Unsupported() {
  return (
    <Empty title="This server has no dead-letter queue yet">
      <p>
        The server answered 404 for <code>/api/dlq</code>: this version of Kiln predates the dead-letter API. Once it is
        there, events that fail all their retries are listed here, where you can inspect, replay or discard them.
      </p>
    </Empty>
  );
}

export function DeadLettersPage() {
  const { query } = useLocation();
  const script = query.get('script') ?? '';
  const status = query.get('status') ?? '';
  const { scripts } = useScriptNames();
  const [list, setList] = useState<DeadLetter[] | null>(null);
  const [cursor, setCursor] = useState('');
  const [err, setErr] = useState('');
  const [unsupported, setUnsupported] = useState(false);

  useEffect(() => {
    let gone = false;
    setList(null);
    setErr('');
    api
      .deadLetters({ script, status, limit: 50 })
      .then((r) => {
        if (gone) return;
        setList(r.deadLetters ?? []);
        setCursor(r.nextCursor ?? '');
      })
      .catch((e) => {
        if (gone) return;
        if (e instanceof ApiError && e.status === 404) setUnsupported(true);
        else setErr(errorText(e, 'Could not load the dead letters'));
      });
    return () => {
      gone = true;
    };
  }, [script, status]);

  const more = async () => {
    try {
      const r = await api.deadLetters({ script, status, limit: 50, cursor });
      setList([...(list ?? []), ...(r.deadLetters ?? [])]);
      setCursor(r.nextCursor ?? '');
    } catch (e) {
      announceError(e, 'Could not load more dead letters');
    }
  };

  return (
    <section>
      <div class="page-head">
        <h1 tabIndex={-1}>Dead letters</h1>
      </div>
      <p class="muted">
        An event whose script fails on its first run and on every retry lands here, with each attempt's error. Replay it
        once the script is fixed.
      </p>
      {unsupported ? (
        <Unsupported />
      ) : (
        <>
          <form class="filters" aria-label="Filter dead letters" onSubmit={(e) => e.preventDefault()}>
            <label>
              <span>Script</span>
              <select value={script} onChange={(e) => navigate(withQuery('/dlq', { script: (e.target as HTMLSelectElement).value, status }), true)}>
                <option value="">All scripts</option>
                {scripts
                  .filter((s) => s.type === 'event' || s.id === script)
                  .map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name}
                    </option>
                  ))}
              </select>
            </label>
            <label>
              <span>Status</span>
              <select value={status} onChange={(e) => navigate(withQuery('/dlq', { script, status: (e.target as HTMLSelectElement).value }), true)}>
                <option value="">All statuses</option>
                <option value="dead">dead</option>
                <option value="replayed">replayed</option>
                <option value="discarded">discarded</option>
              </select>
            </label>
          </form>
          {err && (
            <p class="field-error" role="alert">
              {err}
            </p>
          )}
          {list === null && !err && <Loading what="dead letters" />}
          {list?.length === 0 && (
            <Empty title="No dead letters">
              <p>
                {status || script ? 'None match these filters.' : 'Every event was handled.'} Failed events show up here after their
                last retry.
              </p>
            </Empty>
          )}
          {list && list.length > 0 && (
            <div class="table-wrap">
              <table class="table" data-testid="dlq-table">
                <caption class="visually-hidden">Dead letters, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Event</th>
                    <th scope="col">Script</th>
                    <th scope="col">Status</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Last error</th>
                    <th scope="col">Dead since</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((d) => {
                    const last = d.attempts[d.attempts.length - 1];
                    return (
                      <tr key={d.id}>
                        <td>
                          <Link href={`/dlq/${d.id}`}>{d.eventType}</Link>
                          <div class="muted small mono">…{d.eventId.slice(-8)}</div>
                        </td>
                        <td>
                          <Link href={`/scripts/${d.scriptId}`}>{d.scriptName || d.scriptId}</Link> <span class="muted">v{d.version}</span>
                        </td>
                        <td>
                          <StatusBadge status={d.status} />
                        </td>
                        <td>{d.attempts.length}</td>
                        <td>{last?.error ? <code>{last.error.code}</code> : '—'}</td>
                        <td>
                          <Time iso={d.createdAt} />
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
          {cursor && (
            <button type="button" onClick={() => void more()}>
              Load more dead letters
            </button>
          )}
        </>
      )}
    </section>
  );
}

export function DeadLetterPage({ id }: { id: string }) {
  const me = useMe();
  const [dl, setDl] = useState<DeadLetter | null>(null);
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const [discarding, setDiscarding] = useState(false);

  const load = () =>
    api
      .deadLetter(id)
      .then(setDl)
      .catch((e) => setErr(errorText(e, 'Could not load the dead letter')));
  useEffect(() => {
    void load();
  }, [id]);

  const replay = async () => {
    setBusy(true);
    try {
      const r = await api.replay(id);
      announce('success', `Replay queued: delivery ${r.deliveryId}.`);
      await load();
    } catch (e) {
      announceError(e, 'Could not replay the event');
    } finally {
      setBusy(false);
    }
  };

  const discard = async () => {
    setDiscarding(false);
    setBusy(true);
    try {
      await api.discard(id);
      announce('success', `Dead letter for ${dl?.eventType ?? 'the event'} discarded.`);
      navigate('/dlq');
    } catch (e) {
      announceError(e, 'Could not discard the dead letter');
    } finally {
      setBusy(false);
    }
  };

  const mayAct = can(me.role, 'developer') && dl?.status === 'dead';

  return (
    <section>
      <p class="breadcrumb">
        <Link href="/dlq">Dead letters</Link> <span aria-hidden="true">/</span>
      </p>
      <h1 tabIndex={-1}>{dl ? `Dead letter: ${dl.eventType}` : 'Dead letter'}</h1>
      {err && (
        <p class="field-error" role="alert">
          {err}
        </p>
      )}
      {!dl && !err && <Loading what="the dead letter" />}
      {dl && (
        <>
          <dl class="facts">
            <div>
              <dt>Status</dt>
              <dd>
                <StatusBadge status={dl.status} />
              </dd>
            </div>
            <div>
              <dt>Script</dt>
              <dd>
                <Link href={`/scripts/${dl.scriptId}`}>{dl.scriptName || dl.scriptId}</Link> v{dl.version}
              </dd>
            </div>
            {dl.replayDeliveryId && (
              <div>
                <dt>Replayed as delivery</dt>
                <dd class="mono small">{dl.replayDeliveryId}</dd>
              </div>
            )}
            <div>
              <dt>Event ID</dt>
              <dd class="mono small">{dl.eventId}</dd>
            </div>
            <div>
              <dt>Dead since</dt>
              <dd>
                <Time iso={dl.createdAt} absolute />
              </dd>
            </div>
          </dl>
          {mayAct && (
            <div class="actions-bar">
              <button type="button" class="primary" onClick={() => void replay()} disabled={busy}>
                Replay event
              </button>
              <button type="button" class="danger-outline" onClick={() => setDiscarding(true)} disabled={busy}>
                Discard
              </button>
            </div>
          )}
          <h2>Payload</h2>
          <JsonBlock value={dl.payload} label="Event payload" />
          <h2>Attempts</h2>
          <div class="table-wrap">
            <table class="table" data-testid="attempts-table">
              <caption class="visually-hidden">Attempts</caption>
              <thead>
                <tr>
                  <th scope="col">Attempt</th>
                  <th scope="col">At</th>
                  <th scope="col">Error</th>
                  <th scope="col">Execution</th>
                </tr>
              </thead>
              <tbody>
                {dl.attempts.map((a) => (
                  <tr key={a.attempt}>
                    <td>{a.attempt}</td>
                    <td>
                      <Time iso={a.at} absolute />
                    </td>
                    <td>
                      {a.error ? (
                        <>
                          <code>{a.error.code}</code> {a.error.message}
                        </>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td>{a.executionId ? <Link href={`/executions/${a.executionId}`}>…{a.executionId.slice(-8)}</Link> : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <ConfirmDialog
        open={discarding}
        title="Discard this dead letter?"
        confirmLabel="Discard"
        danger
        onConfirm={() => void discard()}
        onCancel={() => setDiscarding(false)}
      >
        <p>The event will not be replayed. Its record is kept with the status discarded.</p>
      </ConfirmDialog>
    </section>
  );
}
