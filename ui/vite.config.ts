import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

// The build empties dist/, but dist/.gitkeep must stay: if a build fails
// half-way, go:embed still compiles and the binary says the UI is not built.
function keepGitkeep(): Plugin {
  return {
    name: 'kiln-keep-gitkeep',
    apply: 'build',
    closeBundle() {
      writeFileSync(resolve(__dirname, 'dist/.gitkeep'), '');
    },
  };
}

// Scripts run without a DOM, so the TypeScript worker does not need the
// DOM and web-worker declaration files (2.6 MB of its 7 MB). Dropping them
// also means no `/// <reference lib="dom" />` can bring `document` back.
const browserLib = /^lib\.(dom|webworker|scripthost)[\w.]*\.d\.ts$/;

export function stripBrowserLibs(): Plugin {
  return {
    name: 'kiln-strip-browser-libs',
    transform(code, id) {
      if (!/monaco-editor\/esm\/vs\/languages\/features\/typescript\/lib\/lib\.js$/.test(id)) return null;
      const entry = /^libFileMap\["([^"]+)"\] = /gm;
      const starts: { name: string; at: number }[] = [];
      for (let m; (m = entry.exec(code)); ) starts.push({ name: m[1], at: m.index });
      const end = code.lastIndexOf('\nexport {');
      if (starts.length === 0 || end < 0 || !starts.some((s) => s.name === 'lib.dom.d.ts')) {
        this.error('monaco-editor changed the layout of its lib.js: update stripBrowserLibs in vite.config.ts');
      }
      let out = code.slice(0, starts[0].at);
      starts.forEach((s, i) => {
        const stop = i + 1 < starts.length ? starts[i + 1].at : end + 1;
        if (!browserLib.test(s.name)) out += code.slice(s.at, stop);
      });
      return { code: out + code.slice(end + 1), map: null };
    },
  };
}

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  plugins: [keepGitkeep()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Monaco's TypeScript worker alone is several MB; the app's own code is
    // split from it and loaded first (see docs/ui.md for the sizes).
    chunkSizeWarningLimit: 6000,
    reportCompressedSize: false,
    rollupOptions: {
      output: {
        // ui/dist is committed. Monaco gets a chunk of its own that imports
        // nothing of the app, so its 4 MB file (and its name) changes only
        // when Monaco does, not with every change to the app. Vite's
        // preload helper, which both use, gets its own small chunk: in
        // Monaco's, the app would load Monaco on every page.
        manualChunks(id) {
          if (id.includes('/node_modules/monaco-editor/')) return 'monaco';
          if (id.startsWith('\0vite/')) return 'vite';
          return undefined;
        },
      },
    },
  },
  worker: { format: 'es', plugins: () => [stripBrowserLibs()] },
  server: {
    // `npm run dev` talks to a kiln serve on :8080.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
