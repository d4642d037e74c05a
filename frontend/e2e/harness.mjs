// Shared set-up for the browser tests: where the app runs, who signs in, a Chromium from
// the system, each screen checked (axe-core, phone width) and saved at desktop and phone sizes,
// and a watch for errors in the page.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const screenshotDir = join(here, 'screenshots');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`Set ${name} to run the browser tests (see the e2e section of frontend/README.md).`);
  }
  return value;
}

/** The app's address and demo logins, from the environment. */
export function settings() {
  const accounts = [
    { role: 'admin', label: 'Practice administrator', email: required('AMEND_E2E_ADMIN_EMAIL') },
  ];
  if (process.env.AMEND_E2E_THERAPIST_EMAIL) {
    accounts.push({ role: 'therapist', label: 'Therapist', email: process.env.AMEND_E2E_THERAPIST_EMAIL });
  }
  if (process.env.AMEND_E2E_PARTNER_EMAIL) {
    accounts.push({ role: 'client', label: 'Partner', email: process.env.AMEND_E2E_PARTNER_EMAIL });
  }
  return {
    baseURL: required('AMEND_E2E_URL').replace(/\/+$/, ''),
    password: required('AMEND_E2E_PASSWORD'),
    accounts,
    adminEmail: accounts[0].email,
    therapistEmail: process.env.AMEND_E2E_THERAPIST_EMAIL,
    partnerEmail: process.env.AMEND_E2E_PARTNER_EMAIL,
    partnerBEmail: process.env.AMEND_E2E_PARTNER_B_EMAIL,
    frontDeskEmail: process.env.AMEND_E2E_FRONT_DESK_EMAIL,
  };
}

export const desktop = { width: 1280, height: 800 };
export const phone = { width: 360, height: 740 };

/** Chromium from the system; extraArgs add switches (the voice test's fake media devices). */
export async function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.AMEND_E2E_CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/**
 * A fresh browser context (own cookies and storage) with one page, recording script errors and
 * console errors other than failed loads (a 401 from /me is expected on a first visit).
 */
export async function openPage(browser, baseURL) {
  const context = await browser.newContext({ baseURL, viewport: desktop });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(`console error: ${message.text()}`);
    }
  });
  return {
    context,
    page,
    assertNoProblems() {
      assert.deepEqual(problems, [], 'the page reported errors');
    },
  };
}

/** The serious and critical accessibility problems axe-core finds on the page as it is now, in words. */
async function accessibilityProblems(page) {
  // Evaluated rather than added as a script tag, so the app's Content-Security-Policy does not block it.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return violations.map((v) => `${v.impact} ${v.id} (${v.help}): ${v.targets.join(', ')}`);
}

/**
 * Checks a screen and saves it as <name>-desktop.png and <name>-phone.png: at 1280 and 360 px
 * wide, axe-core finds no serious or critical problem, and at 360 px nothing is wider than the
 * phone's screen.
 */
export async function screenshots(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  for (const [size, viewport] of [['desktop', desktop], ['phone', phone]]) {
    await page.setViewportSize(viewport);
    if (size === 'phone') {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${name}: the page is ${overflow}px wider than a 360px phone screen`);
    }
    assert.deepEqual(await accessibilityProblems(page), [], `${name} at ${viewport.width}px: axe-core finds serious or critical problems`);
    await page.screenshot({ path: join(screenshotDir, `${name}-${size}.png`), fullPage: true });
  }
  await page.setViewportSize(desktop);
}

/** Signs in through the form using the keyboard only, as someone without a mouse would. */
export async function signInWithKeyboard(page, email, password) {
  await page.goto('/sign-in');
  await page.getByLabel('Email address').focus();
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
}

/** Signs in and waits for the home page. */
export async function signIn(page, baseURL, email, password, timeout = 15_000) {
  await signInWithKeyboard(page, email, password);
  await page.waitForURL(`${baseURL}/`, { timeout });
  await page.getByRole('main').getByRole('heading', { level: 1 }).first().waitFor({ timeout });
}

/** Calls the API from inside the signed-in page (cookie and Origin come from the browser). */
export async function apiFromPage(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const response = await fetch(`/api/v1${path}`, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? null : JSON.parse(text) };
    },
    { method, path, body },
  );
}

/**
 * Runs fn with count fresh signed-out pages (each as openPage answers it), then checks none of them
 * reported an error; closes them all whatever happens.
 */
export async function withPages(browser, baseURL, count, run) {
  const opened = [];
  try {
    for (let i = 0; i < count; i++) opened.push(await openPage(browser, baseURL));
    await run(...opened);
    for (const one of opened) one.assertNoProblems();
  } finally {
    for (const one of opened) await one.context.close();
  }
}

/** Runs fn with a fresh signed-out page, then checks the page reported no errors and closes it. */
export async function withPage(browser, baseURL, run) {
  await withPages(browser, baseURL, 1, (opened) => run(opened.page, opened.context));
}

/**
 * Reads a PDF as text (pdftotext, its layout kept) and saves its first page beside the
 * screenshots as name.png for a person to look at. save(file) writes the PDF to the path given.
 */
export async function pdfText(save, name) {
  const dir = mkdtempSync(join(tmpdir(), 'amend-pdf-'));
  try {
    const file = join(dir, 'document.pdf');
    await save(file);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    mkdirSync(screenshotDir, { recursive: true });
    execFileSync('pdftoppm', ['-png', '-r', '80', '-singlefile', file, join(screenshotDir, name)]);
    return text;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
