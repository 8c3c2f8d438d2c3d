// The editor and diff views, as plain functions over a DOM element, so that
// the app's main chunk can load this one (and Monaco) on demand.
import {
  clearServerError,
  editorOptions,
  modelFor,
  monaco,
  sdkTypes,
  showServerError,
  type SdkStatus,
} from './setup';
import type { Language } from '../types';

export interface EditorHandle {
  getValue(): string;
  setValue(v: string): void;
  setLanguage(language: Language): void;
  setReadOnly(readOnly: boolean): void;
  showServerError(line: number, column: number, message: string): void;
  focus(): void;
  dispose(): void;
}

export interface EditorOptions {
  value: string;
  language: Language;
  name: string;
  readOnly?: boolean;
  ariaLabel: string;
  onChange?: (value: string) => void;
}

export function mountEditor(el: HTMLElement, o: EditorOptions): EditorHandle {
  let model = modelFor(o.value, o.language, o.name);
  const editor = monaco.editor.create(el, {
    ...editorOptions,
    model,
    readOnly: o.readOnly,
    ariaLabel: o.ariaLabel,
  });
  const listen = (m: monaco.editor.ITextModel) =>
    m.onDidChangeContent(() => {
      clearServerError(m);
      o.onChange?.(m.getValue());
    });
  let sub = listen(model);
  return {
    getValue: () => editor.getValue(),
    setValue(v) {
      if (v !== model.getValue()) model.setValue(v);
    },
    setLanguage(language) {
      // A new model, so the language service sees a .ts or .js file.
      if (model.getLanguageId() === language) return;
      const next = modelFor(model.getValue(), language, o.name);
      sub.dispose();
      editor.setModel(next);
      model.dispose();
      model = next;
      sub = listen(model);
    },
    setReadOnly: (readOnly) => editor.updateOptions({ readOnly }),
    showServerError: (line, column, message) => showServerError(editor, line, column, message),
    focus: () => editor.focus(),
    dispose() {
      sub.dispose();
      editor.dispose();
      model.dispose();
    },
  };
}

export interface DiffHandle {
  dispose(): void;
}

export function mountDiff(el: HTMLElement, o: { original: string; modified: string; ariaLabel: string }): DiffHandle {
  const original = monaco.editor.createModel(o.original, 'kiln-source');
  const modified = monaco.editor.createModel(o.modified, 'kiln-source');
  const diff = monaco.editor.createDiffEditor(el, {
    ...editorOptions,
    readOnly: true,
    originalEditable: false,
    renderSideBySide: true,
    useInlineViewWhenSpaceIsLimited: true,
    renderSideBySideInlineBreakpoint: 700,
    ignoreTrimWhitespace: false,
    ariaLabel: o.ariaLabel,
    originalAriaLabel: `${o.ariaLabel}: older version`,
    modifiedAriaLabel: `${o.ariaLabel}: newer version`,
  } as monaco.editor.IStandaloneDiffEditorConstructionOptions);
  diff.setModel({ original, modified });
  return {
    dispose() {
      diff.dispose();
      original.dispose();
      modified.dispose();
    },
  };
}

export function sdkStatus(): Promise<SdkStatus> {
  return sdkTypes;
}
