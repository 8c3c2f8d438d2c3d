// Creating and editing a script: settings, trigger, limits and the code.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError, type ScriptInput } from '../api';
import { useMe } from '../app';
import { CodeEditor, loadEditors } from '../components/Code';
import { announce, announceError, Time } from '../components/ui';
import type { EditorHandle } from '../monaco/editors';
import { can, scriptStatuses, scriptTypes, type Language, type Script, type ScriptType } from '../types';
import { typeLabels } from './Scripts';

const httpMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export const templates: Record<Language, string> = {
  typescript: `// A Kiln script. The default export is called with (input, ctx) and its
// result is the execution's output (for HTTP scripts, the response).
export default async function handler(input: { name?: string } | null, ctx: any) {
  const name = input?.name ?? "world";
  console.log(\`hello \${name}\`);
  return { greeting: \`Hello, \${name}!\` };
}
`,
  javascript: `// A Kiln script. The default export is called with (input, ctx) and its
// result is the execution's output (for HTTP scripts, the response).
export default async function handler(input, ctx) {
  const name = input?.name ?? "world";
  console.log(\`hello \${name}\`);
  return { greeting: \`Hello, \${name}!\` };
}
`,
};

interface Form {
  name: string;
  description: string;
  type: ScriptType;
  status: Script['status'];
  language: Language;
  httpPath: string;
  methods: string[];
  events: string;
  retries: string;
  backoffMs: string;
  cron: string;
  timezone: string;
  timeoutMs: string;
  memoryMiB: string;
  maxConcurrent: string;
  hostCallsPerMinute: string;
  outputKiB: string;
}

function fromScript(s: Script | null): Form {
  const l = s?.limits ?? {};
  const str = (n?: number) => (n ? String(n) : '');
  return {
    name: s?.name ?? '',
    description: s?.description ?? '',
    type: s?.type ?? 'manual',
    status: s?.status ?? 'draft',
    language: s?.language ?? 'typescript',
    httpPath: s?.trigger.http?.path ?? '/',
    methods: s?.trigger.http?.methods ?? ['GET'],
    events: (s?.trigger.events ?? []).join('\n'),
    retries: s?.trigger.retry ? String(s.trigger.retry.retries) : '',
    backoffMs: s?.trigger.retry ? s.trigger.retry.backoffMs.join(', ') : '',
    cron: s?.trigger.cron?.expression ?? '',
    timezone: s?.trigger.cron?.timezone ?? '',
    timeoutMs: str(l.timeoutMs),
    memoryMiB: l.memoryBytes ? String(+(l.memoryBytes / (1 << 20)).toFixed(3)) : '',
    maxConcurrent: str(l.maxConcurrent),
    hostCallsPerMinute: str(l.hostCallsPerMinute),
    outputKiB: l.outputBytes ? String(+(l.outputBytes / 1024).toFixed(3)) : '',
  };
}

type Errors = Partial<Record<keyof Form, string>>;

function validate(f: Form): Errors {
  const e: Errors = {};
  if (!f.name.trim()) e.name = 'Give the script a name.';
  if (f.type === 'http') {
    if (!f.httpPath.startsWith('/')) e.httpPath = 'The path starts with /, as in /orders/{id}.';
    if (f.methods.length === 0) e.methods = 'Choose at least one method.';
  }
  if (f.type === 'event' && splitEvents(f.events).length === 0) e.events = 'Enter at least one event pattern, as in order.*';
  if (f.type === 'event' && f.retries !== '' && !(Number.isInteger(Number(f.retries)) && Number(f.retries) >= 0 && Number(f.retries) <= 20)) {
    e.retries = 'A whole number from 0 to 20, or empty for the default (5).';
  }
  if (f.type === 'event' && f.backoffMs.trim() !== '' && splitNumbers(f.backoffMs).some((n) => !(n > 0))) {
    e.backoffMs = 'Milliseconds separated by commas, as in 2000, 4000, 8000.';
  }
  if (f.type === 'scheduled' && !f.cron.trim()) e.cron = 'Enter a cron expression, as in 0 3 * * *';
  for (const k of ['timeoutMs', 'memoryMiB', 'maxConcurrent', 'hostCallsPerMinute', 'outputKiB'] as const) {
    if (f[k] !== '' && !(Number(f[k]) > 0)) e[k] = 'A positive number, or empty for the default.';
  }
  return e;
}

function splitEvents(s: string): string[] {
  return s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);
}

function splitNumbers(s: string): number[] {
  return s
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
}

function toBody(f: Form): ScriptInput {
  const trigger: Script['trigger'] = {};
  if (f.type === 'http') trigger.http = { path: f.httpPath.trim(), methods: f.methods };
  if (f.type === 'event') {
    trigger.events = splitEvents(f.events);
    if (f.retries !== '' || f.backoffMs.trim() !== '') {
      const backoff = splitNumbers(f.backoffMs);
      trigger.retry = { retries: f.retries === '' ? 5 : Number(f.retries), backoffMs: backoff.length ? backoff : [2000, 4000, 8000, 16000, 32000] };
    }
  }
  if (f.type === 'scheduled') trigger.cron = { expression: f.cron.trim(), ...(f.timezone.trim() ? { timezone: f.timezone.trim() } : {}) };
  const num = (s: string, scale = 1) => (s === '' ? undefined : Math.round(Number(s) * scale));
  const limits = {
    timeoutMs: num(f.timeoutMs),
    memoryBytes: num(f.memoryMiB, 1 << 20),
    maxConcurrent: num(f.maxConcurrent),
    hostCallsPerMinute: num(f.hostCallsPerMinute),
    outputBytes: num(f.outputKiB, 1024),
  };
  return {
    name: f.name.trim(),
    description: f.description,
    type: f.type,
    status: f.status,
    language: f.language,
    trigger,
    limits: Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)),
  };
}

let timezones: string[] | null = null;
function allTimezones(): string[] {
  try {
    timezones ??= (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
  } catch {
    timezones = ['UTC'];
  }
  return timezones;
}

export function ScriptForm(props: {
  script: Script | null;
  onSaved: (s: Script) => void;
  onCreated: (s: Script) => void;
  onDirty: (d: boolean) => void;
  onEditor: (h: EditorHandle) => void;
  active: boolean;
}) {
  const { script } = props;
  const me = useMe();
  const mayEdit = can(me.role, 'developer') && script?.status !== 'archived';
  const [form, setForm] = useState<Form>(() => fromScript(script));
  const [change, setChange] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [saving, setSaving] = useState(false);
  const [sdk, setSdk] = useState<'loading' | 'loaded' | 'missing'>('loading');
  const editor = useRef<EditorHandle | null>(null);
  const baseline = useRef({ form: JSON.stringify(fromScript(script)), source: script?.source ?? templates[form.language] });
  const source = useRef(baseline.current.source);
  const [dirty, setDirty] = useState(false);
  // The editor's change handler is bound once; it reads the form from here.
  const formRef = useRef(form);
  formRef.current = form;

  // A rollback or a save that wrote a version brings new settings.
  useEffect(() => {
    const f = fromScript(script);
    setForm(f);
    baseline.current = { form: JSON.stringify(f), source: script?.source ?? source.current };
    source.current = baseline.current.source;
    recompute(f);
  }, [script?.id, script?.version]);

  // Archiving (or a status change by someone else) makes the code read-only.
  useEffect(() => editor.current?.setReadOnly(!mayEdit), [mayEdit]);

  useEffect(() => {
    loadEditors()
      .then((m) => m.sdkStatus())
      .then(setSdk)
      .catch(() => setSdk('missing'));
  }, []);

  const recompute = (f: Form) => {
    const d = JSON.stringify(f) !== baseline.current.form || source.current !== baseline.current.source;
    setDirty(d);
    props.onDirty(d);
  };

  const set = <K extends keyof Form>(k: K, v: Form[K]) => {
    const f = { ...form, [k]: v };
    setForm(f);
    if (errors[k]) setErrors({ ...errors, [k]: undefined });
    recompute(f);
    if (k === 'language') {
      editor.current?.setLanguage(v as Language);
      // A new script still showing the template gets the other language's.
      if (!script && source.current === templates[form.language]) {
        editor.current?.setValue(templates[v as Language]);
      }
    }
  };

  const save = async () => {
    if (!mayEdit || saving) return;
    const errs = validate(form);
    setErrors(errs);
    const first = Object.keys(errs)[0];
    if (first) {
      announce('error', `Cannot save yet: ${Object.values(errs)[0]}`, 'save');
      document.getElementById(`f-${first}`)?.focus();
      return;
    }
    const body: ScriptInput = { ...toBody(form), source: editor.current?.getValue() ?? source.current, changeDescription: change.trim() || undefined };
    setSaving(true);
    try {
      if (!script) {
        const s = await api.createScript(body);
        announce('success', `Script created: version ${s.version} created.`, 'save');
        props.onCreated(s);
        return;
      }
      delete body.type;
      const s = await api.updateScript(script.id, body);
      announce(
        'success',
        s.version > script.version
          ? `Version ${s.version} created.`
          : 'Saved. Only settings changed, so no new version was written.',
        'save',
      );
      setChange('');
      baseline.current = { form: JSON.stringify(fromScript(s)), source: body.source! };
      source.current = body.source!;
      props.onSaved(s);
      recompute(fromScript(s));
    } catch (e) {
      if (e instanceof ApiError && e.status === 422 && typeof e.details?.line === 'number') {
        const line = e.details.line as number;
        const column = (e.details.column as number) ?? 1;
        editor.current?.showServerError(line, column, e.message);
        announce('error', `Not saved: the code does not compile (${e.code}) at line ${line}, column ${column}: ${e.message}`, 'save');
      } else {
        announceError(e, 'Not saved', 'save');
      }
    } finally {
      setSaving(false);
    }
  };

  // Ctrl+S / Cmd+S saves, from the editor or any field on the page.
  const saveRef = useRef(save);
  saveRef.current = save;
  useEffect(() => {
    if (!props.active) return;
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 's') {
        e.preventDefault();
        e.stopPropagation();
        void saveRef.current();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [props.active]);

  const field = (k: keyof Form) => ({
    id: `f-${k}`,
    'aria-invalid': errors[k] ? true : undefined,
    'aria-describedby': errors[k] ? `e-${k}` : undefined,
  });
  const err = (k: keyof Form) =>
    errors[k] ? (
      <p class="field-error" id={`e-${k}`}>
        {errors[k]}
      </p>
    ) : null;
  const tzs = useMemo(() => (form.type === 'scheduled' ? allTimezones() : []), [form.type]);
  const input = (k: keyof Form) => (e: Event) => set(k, (e.target as HTMLInputElement).value as never);

  return (
    <div class="editor-layout">
      <form
        class="settings"
        aria-label="Script settings"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <fieldset disabled={!mayEdit}>
          <legend class="visually-hidden">Settings</legend>
          <label for="f-name">Name</label>
          <input {...field('name')} value={form.name} onInput={input('name')} required maxLength={200} autoComplete="off" />
          {err('name')}

          <label for="f-description">Description</label>
          <textarea {...field('description')} rows={2} value={form.description} onInput={input('description')} maxLength={2000} />

          <div class="row">
            <div>
              <label for="f-type">Type</label>
              <select {...field('type')} value={form.type} onChange={input('type')} disabled={!!script} aria-describedby="type-help">
                {scriptTypes.map((t) => (
                  <option key={t} value={t}>
                    {typeLabels[t]}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label for="f-status">Status</label>
              <select {...field('status')} value={form.status} onChange={input('status')}>
                {scriptStatuses
                  .filter((s) => s !== 'archived' || form.status === 'archived')
                  .map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
              </select>
            </div>
            <div>
              <label for="f-language">Language</label>
              <select {...field('language')} value={form.language} onChange={input('language')}>
                <option value="typescript">TypeScript</option>
                <option value="javascript">JavaScript</option>
              </select>
            </div>
          </div>
          <p id="type-help" class="muted small">
            {script ? "A script's type is fixed once created." : typeHelp[form.type]}
            {form.status !== 'active' && form.type !== 'manual' && form.type !== 'embedded' && (
              <> Only active scripts are triggered.</>
            )}
          </p>

          {form.type === 'http' && (
            <fieldset class="group">
              <legend>HTTP trigger</legend>
              <label for="f-httpPath">Path</label>
              <input {...field('httpPath')} value={form.httpPath} onInput={input('httpPath')} placeholder="/orders/{id}" spellcheck={false} />
              {err('httpPath')}
              <p class="muted small">
                Served at <code>/run/{me.tenant?.slug ?? '{tenant}'}{form.httpPath.startsWith('/') ? form.httpPath : '/' + form.httpPath}</code>
              </p>
              <fieldset class="checks" aria-describedby={errors.methods ? 'e-methods' : undefined}>
                <legend>Methods</legend>
                {httpMethods.map((m) => (
                  <label key={m} class="check">
                    <input
                      type="checkbox"
                      id={m === 'GET' ? 'f-methods' : undefined}
                      checked={form.methods.includes(m)}
                      onChange={(e) =>
                        set(
                          'methods',
                          (e.target as HTMLInputElement).checked ? [...form.methods, m] : form.methods.filter((x) => x !== m),
                        )
                      }
                    />
                    {m}
                  </label>
                ))}
              </fieldset>
              {err('methods')}
            </fieldset>
          )}

          {form.type === 'event' && (
            <fieldset class="group">
              <legend>Event trigger</legend>
              <label for="f-events">Event patterns, one per line</label>
              <textarea {...field('events')} rows={3} value={form.events} onInput={input('events')} placeholder="order.created&#10;invoice.*" spellcheck={false} />
              {err('events')}
              <p class="muted small">
                <code>*</code> matches one dot-separated word, as in <code>order.*</code>; <code>&gt;</code> one or more,
                as in <code>payment.&gt;</code>.
              </p>
              <div class="row">
                <div>
                  <label for="f-retries">Retries</label>
                  <input {...field('retries')} type="number" min="0" max="20" step="1" value={form.retries} onInput={input('retries')} placeholder="5" />
                  {err('retries')}
                </div>
                <div>
                  <label for="f-backoffMs">Backoff (ms)</label>
                  <input {...field('backoffMs')} value={form.backoffMs} onInput={input('backoffMs')} placeholder="2000, 4000, 8000, 16000, 32000" spellcheck={false} />
                  {err('backoffMs')}
                </div>
              </div>
              <p class="muted small">
                After the first run fails, up to that many retries, the n-th after the n-th wait (the last repeats).
                Then the event goes to the dead letters. Empty: 5 retries after 2, 4, 8, 16 and 32 s.
              </p>
            </fieldset>
          )}

          {form.type === 'scheduled' && (
            <fieldset class="group">
              <legend>Schedule</legend>
              <label for="f-cron">Cron expression</label>
              <input {...field('cron')} value={form.cron} onInput={input('cron')} placeholder="0 3 * * *" spellcheck={false} class="mono" />
              {err('cron')}
              <p class="muted small">minute hour day-of-month month day-of-week, as in <code>*/15 * * * *</code></p>
              <label for="f-timezone">Time zone</label>
              <input {...field('timezone')} value={form.timezone} onInput={input('timezone')} list="timezones" placeholder="UTC" spellcheck={false} />
              <datalist id="timezones">
                {tzs.map((z) => (
                  <option key={z} value={z} />
                ))}
              </datalist>
              <div class="next-runs" data-testid="next-runs">
                <h3 class="small-heading">Next runs</h3>
                {script?.nextRuns && script.nextRuns.length > 0 ? (
                  <ol>
                    {script.nextRuns.slice(0, 5).map((t) => (
                      <li key={t}>
                        <Time iso={t} absolute />
                      </li>
                    ))}
                  </ol>
                ) : (
                  <p class="muted small">
                    {script ? 'The server has not reported the next run times for this script.' : 'Shown here once the script is saved.'}
                  </p>
                )}
              </div>
            </fieldset>
          )}

          <details class="group">
            <summary>Limits</summary>
            <p class="muted small">Empty fields use the server's defaults (and the tenant's caps).</p>
            <div class="row">
              {(
                [
                  ['timeoutMs', 'Timeout (ms)'],
                  ['memoryMiB', 'Memory (MiB)'],
                  ['maxConcurrent', 'Concurrent runs'],
                  ['hostCallsPerMinute', 'SDK calls / minute'],
                  ['outputKiB', 'Output (KiB)'],
                ] as const
              ).map(([k, label]) => (
                <div key={k}>
                  <label for={`f-${k}`}>{label}</label>
                  <input {...field(k)} type="number" min="1" step="any" inputMode="numeric" value={form[k]} onInput={input(k)} />
                  {err(k)}
                </div>
              ))}
            </div>
          </details>

          <label for="f-change">Change description</label>
          <input id="f-change" value={change} onInput={(e) => setChange((e.target as HTMLInputElement).value)} placeholder="What changed, for the history" maxLength={1000} />
        </fieldset>
        {!mayEdit && (
          <p class="muted small">
            {script?.status === 'archived'
              ? 'This script is archived: it is read-only.'
              : `Your key has the ${me.role} role: you can read this script but not change it.`}
          </p>
        )}
      </form>

      <div class="code-column">
        <div class="code-toolbar">
          <span class="muted small" data-testid="sdk-status">
            {sdk === 'loading' && 'Loading the SDK types…'}
            {sdk === 'loaded' && 'IntelliSense: iota SDK and web globals'}
            {sdk === 'missing' && 'IntelliSense without the iota SDK: this server does not serve its types (/api/sdk/iota.d.ts).'}
          </span>
          {mayEdit && (
            <>
              <span class="muted small kbd-hint" aria-hidden="true">
                Ctrl+S saves
              </span>
              <button type="button" class="primary" onClick={() => void save()} disabled={saving} aria-keyshortcuts="Control+S Meta+S">
                {saving ? 'Saving…' : script ? 'Save' : 'Create script'}
              </button>
            </>
          )}
        </div>
        <CodeEditor
          value={source.current}
          language={form.language}
          name={form.name || 'script'}
          readOnly={!mayEdit}
          ariaLabel="Script code editor. Press Ctrl+S to save; press Ctrl+M to make Tab move the focus."
          onChange={(v) => {
            source.current = v;
            recompute(formRef.current);
          }}
          onReady={(h) => {
            editor.current = h;
            props.onEditor(h);
          }}
        />
        {dirty && <p class="muted small">Unsaved changes.</p>}
      </div>
    </div>
  );
}

const typeHelp: Record<ScriptType, string> = {
  http: 'Runs on HTTP requests to its path under /run/{tenant}.',
  event: 'Runs for each published event that matches its patterns; failures retry, then go to the dead-letter queue.',
  scheduled: 'Runs on a cron schedule.',
  manual: 'Runs when started by hand or through the API.',
  embedded: 'Called by a host application that embeds Kiln.',
};
