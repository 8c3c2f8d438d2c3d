// Monaco, bundled with only what Kiln's editor needs: the editor core and
// its features, the TypeScript/JavaScript tokenizers, and the TypeScript
// language service (completions, hovers, diagnostics) in a worker. This
// module is loaded on demand, the first time a page shows code.
import * as monaco from 'monaco-editor/editor';
import 'monaco-editor/features/register.all';
import 'monaco-editor/languages/definitions/typescript/register';
import 'monaco-editor/languages/definitions/javascript/register';
import {
  javascriptDefaults,
  ModuleKind,
  ScriptTarget,
  typescriptDefaults,
} from 'monaco-editor/languages/features/typescript/register';
import { conf as tsConf, language as tsLanguage } from 'monaco-editor/languages/definitions/typescript/typescript';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import TypeScriptWorker from 'monaco-editor/languages/features/typescript/ts.worker?worker';
import { api } from '../api';
import type { Language } from '../types';

export { monaco };

// Same-origin module workers: the CSP allows them and nothing is fetched
// from elsewhere.
self.MonacoEnvironment = {
  getWorker(_id: string, label: string) {
    if (label === 'typescript' || label === 'javascript') return new TypeScriptWorker();
    return new EditorWorker();
  },
};

/**
 * What scripts can use and nothing more: ES2022 without the DOM (no
 * document, window or localStorage). Kiln's web globals (console, fetch,
 * URL, …) and the iota SDK come from the server's iota.d.ts.
 */
const compilerOptions = {
  target: ScriptTarget.ES2020,
  module: ModuleKind.ESNext,
  lib: ['es2022'],
  allowNonTsExtensions: true,
  noEmit: true,
  strict: false,
  noImplicitAny: false,
  strictNullChecks: true,
  esModuleInterop: true,
};

typescriptDefaults.setCompilerOptions(compilerOptions);
javascriptDefaults.setCompilerOptions({ ...compilerOptions, allowJs: true, checkJs: true });
// Until the SDK's types load, names like iota and console are unknown:
// report syntax errors only, rather than errors that are not the user's.
typescriptDefaults.setDiagnosticsOptions({ noSemanticValidation: true, noSyntaxValidation: false });
javascriptDefaults.setDiagnosticsOptions({ noSemanticValidation: true, noSyntaxValidation: false });

export type SdkStatus = 'loaded' | 'missing';

/** The SDK's types, once: 'missing' when the server has no iota.d.ts. */
export const sdkTypes: Promise<SdkStatus> = api.sdkTypes().then((dts) => {
  if (dts === null) return 'missing';
  for (const d of [typescriptDefaults, javascriptDefaults]) {
    d.addExtraLib(dts, 'file:///kiln/iota.d.ts');
    d.setDiagnosticsOptions({ noSemanticValidation: false, noSyntaxValidation: false });
  }
  return 'loaded';
});

// Read-only views (the diff) use the TypeScript colours without the
// language service, so old versions show no squiggles.
monaco.languages.register({ id: 'kiln-source' });
monaco.languages.setMonarchTokensProvider('kiln-source', tsLanguage);
monaco.languages.setLanguageConfiguration('kiln-source', tsConf);

// Tests and curious users can reach the editor from the console.
(window as unknown as { monaco: typeof monaco }).monaco = monaco;

let modelCount = 0;

export function modelFor(source: string, language: Language, name: string): monaco.editor.ITextModel {
  const ext = language === 'javascript' ? 'js' : 'ts';
  const uri = monaco.Uri.parse(`file:///scripts/${++modelCount}/${name.replace(/[^\w.-]+/g, '_') || 'script'}.${ext}`);
  return monaco.editor.createModel(source, language, uri);
}

export const serverMarkerOwner = 'kiln-server';

/** Puts the server's compile error on its line and moves the cursor there. */
export function showServerError(editor: monaco.editor.IStandaloneCodeEditor, line: number, column: number, message: string) {
  const model = editor.getModel();
  if (!model) return;
  const l = Math.min(Math.max(1, line), model.getLineCount());
  const c = Math.min(Math.max(1, column), model.getLineMaxColumn(l));
  const word = model.getWordAtPosition({ lineNumber: l, column: c });
  const endColumn = word && word.endColumn > c ? word.endColumn : Math.min(c + 1, model.getLineMaxColumn(l));
  monaco.editor.setModelMarkers(model, serverMarkerOwner, [
    {
      severity: monaco.MarkerSeverity.Error,
      message: `Kiln: ${message}`,
      startLineNumber: l,
      startColumn: c,
      endLineNumber: l,
      endColumn: endColumn > c ? endColumn : model.getLineMaxColumn(l),
      source: 'kiln',
    },
  ]);
  editor.setPosition({ lineNumber: l, column: c });
  editor.revealLineInCenter(l);
}

export function clearServerError(model: monaco.editor.ITextModel) {
  monaco.editor.setModelMarkers(model, serverMarkerOwner, []);
}

export const editorOptions: monaco.editor.IStandaloneEditorConstructionOptions = {
  automaticLayout: true,
  minimap: { enabled: false },
  fontSize: 13,
  tabSize: 2,
  scrollBeyondLastLine: false,
  fixedOverflowWidgets: true,
  accessibilitySupport: 'auto',
  renderLineHighlight: 'line',
  'semanticHighlighting.enabled': false,
};
