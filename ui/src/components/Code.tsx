// Preact wrappers around the Monaco views, which load on first use.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { DiffHandle, EditorHandle, EditorOptions } from '../monaco/editors';

type Editors = typeof import('../monaco/editors');
let loading: Promise<Editors> | null = null;
export function loadEditors(): Promise<Editors> {
  loading ??= import('../monaco/editors');
  return loading;
}

export function CodeEditor(props: EditorOptions & { onReady?: (h: EditorHandle) => void; class?: string }) {
  const el = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState('');
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let handle: EditorHandle | null = null;
    let gone = false;
    loadEditors()
      .then((m) => {
        if (gone || !el.current) return;
        handle = m.mountEditor(el.current, props);
        setReady(true);
        props.onReady?.(handle);
      })
      .catch((e) => setFailed(String(e)));
    return () => {
      gone = true;
      handle?.dispose();
    };
    // Mounted once: after that the editor owns its content, and changes
    // go through the handle.
  }, []);
  return (
    <div class={`code ${props.class ?? ''}`} data-testid="code-editor">
      {!ready && !failed && <p class="loading">Loading the editor…</p>}
      {failed && (
        <p class="field-error" role="alert">
          The editor could not load: {failed}
        </p>
      )}
      <div ref={el} class="code-host" />
    </div>
  );
}

export function DiffView({ original, modified, ariaLabel }: { original: string; modified: string; ariaLabel: string }) {
  const el = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState('');
  useEffect(() => {
    let handle: DiffHandle | null = null;
    let gone = false;
    loadEditors()
      .then((m) => {
        if (!gone && el.current) handle = m.mountDiff(el.current, { original, modified, ariaLabel });
      })
      .catch((e) => setFailed(String(e)));
    return () => {
      gone = true;
      handle?.dispose();
    };
  }, [original, modified, ariaLabel]);
  return (
    <div class="code diff" data-testid="diff-editor">
      {failed && (
        <p class="field-error" role="alert">
          The diff view could not load: {failed}
        </p>
      )}
      <div ref={el} class="code-host" />
    </div>
  );
}
