// What the browser tests need: a kiln binary with this UI embedded, a
// server on a free port with a tenant and an admin key, and Debian's
// Chromium driven by playwright-core.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const uiDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = path.resolve(uiDir, '..');

/** Screenshots go to docs/screenshots with UPDATE_SCREENSHOTS=1, else to test-results/. */
export const shotsDir = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(repoDir, 'docs', 'screenshots') : path.join(uiDir, 'test-results');

export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Builds kiln with the current ui/dist (or uses KILN_BIN) and starts it. */
export async function startServer() {
  if (!fs.existsSync(path.join(uiDir, 'dist', 'index.html'))) {
    throw new Error('ui/dist/index.html is missing: run `npm run build` in ui/ before `npm test`');
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-ui-test-'));
  let bin = process.env.KILN_BIN;
  if (!bin) {
    bin = path.join(tmp, 'kiln');
    execFileSync('go', ['build', '-o', bin, './cmd/kiln'], { cwd: repoDir, stdio: 'inherit' });
  }
  const operatorKey = `op_${randomBytes(16).toString('hex')}`;
  const proc = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--data', path.join(tmp, 'data')], {
    env: { ...process.env, KILN_OPERATOR_KEY: operatorKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += d;
  });
  const base = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`kiln serve did not start in 60 s; stderr:\n${stderr}`)), 60_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/serving on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kiln serve exited with ${code}; stderr:\n${stderr}`));
    });
  });

  const call = async (method, p, { key = operatorKey, body, tenant } = {}) => {
    const headers = { Authorization: `Bearer ${key}` };
    if (tenant) headers['X-Kiln-Tenant'] = tenant;
    const res = await fetch(base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? safeJSON(text) : undefined, text };
  };
  const tenant = await call('POST', '/api/tenants', { body: { slug: 'acme', name: 'Acme Corp' } });
  if (tenant.status !== 201) throw new Error(`create tenant: ${tenant.status} ${tenant.text}`);
  const key = await call('POST', '/api/tenants/acme/keys', { body: { name: 'ui test', role: 'admin' } });
  if (key.status !== 201) throw new Error(`create key: ${key.status} ${key.text}`);

  return {
    base,
    operatorKey,
    adminKey: key.body.key,
    call,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.on('exit', r)));
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

function safeJSON(t) {
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
}

export async function launchBrowser() {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`no Chromium at ${chromiumPath}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function screenshot(page, name) {
  fs.mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: path.join(shotsDir, `${name}.png`) });
}

/** Runs axe-core in the page (from node_modules, no network) and returns its violations. */
export async function axe(page, { exclude = [] } = {}) {
  const has = await page.evaluate(() => typeof window.axe !== 'undefined');
  // Evaluated through the DevTools protocol, which the page's CSP does not
  // govern (a <script> tag would be refused, rightly).
  if (!has) await page.evaluate(fs.readFileSync(path.join(uiDir, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8'));
  return page.evaluate(
    async ({ exclude }) => {
      const r = await window.axe.run(
        { include: [document], exclude: exclude.map((s) => [s]) },
        { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] },
      );
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' :: ' + n.failureSummary),
      }));
    },
    { exclude },
  );
}

/**
 * Every visible control outside Monaco has an accessible name: buttons,
 * links, inputs, selects and textareas (a cheap check beside axe).
 */
export async function unnamedControls(page) {
  return page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('button, a[href], input, select, textarea, [role="button"]')) {
      if (el.closest('.monaco-editor, .monaco-diff-editor, .monaco-aria-container')) continue;
      if (el.type === 'hidden' || !(el.offsetWidth || el.offsetHeight || el.getClientRects().length)) continue;
      const labelled =
        (el.getAttribute('aria-label') || '').trim() ||
        (el.getAttribute('aria-labelledby') || '')
          .split(/\s+/)
          .map((id) => document.getElementById(id)?.textContent ?? '')
          .join('')
          .trim() ||
        (el.labels && [...el.labels].map((l) => l.textContent).join('').trim()) ||
        (['BUTTON', 'A'].includes(el.tagName) && el.textContent.trim()) ||
        el.getAttribute('title');
      if (!labelled) bad.push(el.outerHTML.slice(0, 120));
    }
    return bad;
  });
}
