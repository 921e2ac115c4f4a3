// Helpers for the browser tests: a real `yunwei serve` on a fresh store, Debian's Chromium
// driven by playwright-core, screenshots into a git-ignored folder.

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '..', '..');
export const binary = process.env.YUNWEI_BIN || join(repo, 'target', 'debug', 'yunwei');
export const shots = join(here, 'screenshots');
export const PASSWORD = 'yunwei-demo';

async function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** PostgreSQL for the tests: the same server and role the Rust suite uses. */
const PG_ADMIN = process.env.YUNWEI_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

function psql(sql) {
  execFileSync('psql', [PG_ADMIN, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { stdio: 'pipe' });
}

/**
 * Starts `yunwei serve --demo` on a fresh data directory (and, with `postgres: true`, a fresh
 * PostgreSQL database) and waits until it answers. Returns `{ base, stop }`.
 */
export async function startServer({ postgres = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'yunwei-e2e-'));
  const port = await freePort();
  const args = ['serve', '--demo', '--data-dir', dir, '--listen', `127.0.0.1:${port}`];
  let database = null;
  if (postgres) {
    database = `yunwei_e2e_${process.pid}_${Date.now()}`;
    psql(`CREATE DATABASE ${database}`);
    const url = new URL(PG_ADMIN);
    url.pathname = `/${database}`;
    args.push('--database-url', url.toString());
  }
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`yunwei serve exited early:\n${log}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`yunwei serve did not come up:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
    if (database) psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  };
  return { base, stop, log: () => log };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * A fresh browser profile speaking `locale` (its Accept-Language), 1366×900. Any script
 * dialog (an XSS that ran) fails the test loudly.
 */
export async function newPage(browser, locale) {
  const context = await browser.newContext({ locale, viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  page.on('dialog', async (d) => {
    await d.dismiss();
    throw new Error(`a script dialog opened: ${d.message()}`);
  });
  return page;
}

export async function login(page, base, login) {
  await page.goto(`${base}/login`);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type=submit]')]);
}

export async function logout(page) {
  await Promise.all([page.waitForNavigation(), page.click('#logout')]);
}

/**
 * Saves a screenshot of the page as screenshots/NAME.png: the whole page, or with
 * `{ fullPage: false }` only what the window shows (for a page too long to picture whole).
 */
export async function shot(page, name, { fullPage = true } = {}) {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage });
}

/** Submits the form that holds `selector` (a button) and waits for the next page. */
export async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

/** Signs `who` in with a browser speaking `lang`, and switches the account to `lang` if needed. */
export async function signIn(browser, base, who, lang) {
  const page = await newPage(browser, lang);
  await login(page, base, who);
  if ((await page.getAttribute('html', 'lang')) !== lang) {
    await submit(page, `button[name=lang][value="${lang}"]`);
  }
  assert.equal(await page.getAttribute('html', 'lang'), lang, `${who} reads the pages in ${lang}`);
  return page;
}

/** The page is no wider than the window (no sideways scrolling). */
export async function noOverflow(page, what) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client + 1, `${what} is ${scroll}px wide in a ${client}px window`);
}
