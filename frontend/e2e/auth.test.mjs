// Signing in, out, and being signed out, in a real browser against a running Amend.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { launch, openPage, screenshots, settings, signInWithKeyboard } from './harness.mjs';

const { baseURL, password, accounts } = settings();
const [admin] = accounts;
const timeout = 15_000;

describe('signing in and out', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  async function withPage(run) {
    const opened = await openPage(browser, baseURL);
    try {
      await run(opened.page, opened.context);
      opened.assertNoProblems();
    } finally {
      await opened.context.close();
    }
  }

  it('sends a visitor without a session to a labelled sign-in form', async () => {
    await withPage(async (page) => {
      await page.goto('/');
      await page.waitForURL('**/sign-in', { timeout });
      await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor({ timeout });
      assert.equal(await page.getByLabel('Email address').getAttribute('type'), 'email');
      assert.equal(await page.getByLabel('Password').getAttribute('type'), 'password');
      assert.equal(await page.getByRole('status').count(), 0, 'a first visit says nothing about inactivity');
      await screenshots(page, 'sign-in');
    });
  });

  it('shows a plain error for a wrong password and stays on the form', async () => {
    await withPage(async (page) => {
      await signInWithKeyboard(page, admin.email, `${password}-wrong`);
      const alert = page.getByRole('alert');
      await alert.waitFor({ timeout });
      assert.match(await alert.innerText(), /We could not sign you in\./);
      assert.equal(new URL(page.url()).pathname, '/sign-in');
      assert.equal(await page.getByLabel('Email address').inputValue(), admin.email);
      await screenshots(page, 'sign-in-wrong-password');
    });
  });

  for (const account of accounts) {
    it(`signs in as ${account.label.toLowerCase()} and shows who is signed in and where`, async () => {
      await withPage(async (page, context) => {
        await signInWithKeyboard(page, account.email, password);
        await page.waitForURL(`${baseURL}/`, { timeout });
        const main = page.getByRole('main');
        await main.getByRole('heading', { level: 1, name: /^Welcome, / }).waitFor({ timeout });
        const text = await main.innerText();
        assert.ok(text.includes(account.email), 'the home page names the signed-in email');
        assert.ok(text.includes(account.label), `the home page names the role ${account.label}`);
        assert.ok(await page.getByRole('link', { name: 'Sign out' }).isVisible());

        const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
        assert.ok(!stored.includes(account.email), 'nothing about the user is kept in browser storage');
        const cookies = await context.cookies();
        assert.ok(cookies.some((cookie) => cookie.httpOnly), 'the session cookie is HttpOnly');
        await screenshots(page, `home-${account.role}`);
      });
    });
  }

  it('signs out, and the home page then needs signing in again', async () => {
    await withPage(async (page) => {
      await signInWithKeyboard(page, admin.email, password);
      await page.waitForURL(`${baseURL}/`, { timeout });
      await page.getByRole('link', { name: 'Sign out' }).click();
      await page.getByRole('heading', { level: 1, name: 'You have signed out' }).waitFor({ timeout });
      await screenshots(page, 'signed-out');

      await page.goto('/');
      await page.waitForURL('**/sign-in', { timeout });
      assert.equal(await page.getByRole('status').count(), 0, 'signing out on purpose is not called inactivity');
    });
  });

  it('explains an ended session on the sign-in form', async () => {
    await withPage(async (page, context) => {
      await signInWithKeyboard(page, admin.email, password);
      await page.waitForURL(`${baseURL}/`, { timeout });
      // The server forgets an idle session; dropping the cookie has the same effect on the next request.
      await context.clearCookies();
      await page.reload();
      await page.waitForURL('**/sign-in', { timeout });
      const notice = page.getByRole('status');
      await notice.waitFor({ timeout });
      assert.match(await notice.innerText(), /You were signed out after a period of inactivity/);
      await screenshots(page, 'sign-in-after-inactivity');
    });
  });

  it('explains an invitation link that cannot be used, before asking for anything', async () => {
    await withPage(async (page) => {
      await page.goto(`/invite/${randomBytes(32).toString('base64url')}`);
      const alert = page.getByRole('alert');
      await alert.waitFor({ timeout });
      assert.match(await alert.innerText(), /This invitation link cannot be used\./);
      assert.equal(await page.getByLabel('Your name').count(), 0);
      await screenshots(page, 'accept-invite-unusable');
    });
  });

  /** Signs in as the administrator and invites email as role; returns the one-time link. */
  async function inviteAsAdmin(page, email, role) {
    await signInWithKeyboard(page, admin.email, password);
    await page.waitForURL(`${baseURL}/`, { timeout });
    // The administrator's invitation is made through the API from inside the page; the browser
    // supplies cookie and Origin.
    return page.evaluate(
      async ([invitee, inviteRole]) => {
        const me = await (await fetch('/api/v1/me')).json();
        const practice = me.memberships.find((m) => m.role === 'admin').practice_id;
        const response = await fetch(`/api/v1/practices/${practice}/invites`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ email: invitee, role: inviteRole }),
        });
        if (response.status !== 201) throw new Error(`invite answered ${response.status}`);
        return (await response.json()).accept_url;
      },
      [email, role],
    );
  }

  it('lets an invited therapist set up an account and arrive signed in', async () => {
    await withPage(async (page, context) => {
      const email = `e2e-${randomBytes(6).toString('hex')}@example.test`;
      const acceptURL = await inviteAsAdmin(page, email, 'therapist');
      await context.clearCookies();

      await page.goto(acceptURL);
      const invitation = page.getByText(/has invited/);
      await invitation.waitFor({ timeout });
      assert.match(await invitation.innerText(), new RegExp(`invited ${email.replace(/[.]/g, '\\.')} to join Amend as a therapist`));
      await screenshots(page, 'accept-invite');

      await page.getByLabel('Your name').fill('Robin Example');
      await page.getByLabel('Choose a password').fill('a long and unused password');
      await page.getByLabel('Type the password again').fill('a long and unused password');
      await page.getByRole('button', { name: 'Create my account' }).click();
      await page.waitForURL(`${baseURL}/`, { timeout });
      const main = page.getByRole('main');
      await main.getByRole('heading', { level: 1, name: 'Welcome, Robin Example' }).waitFor({ timeout });
      assert.ok((await main.innerText()).includes('Therapist'));

      await page.goBack();
      assert.ok(!page.url().includes('/invite/'), 'the used link is not in the back-button history');
    });
  });

  it('lets an existing account join only by signing in as itself', async () => {
    await withPage(async (page, context) => {
      const email = `e2e-${randomBytes(6).toString('hex')}@example.test`;
      const firstURL = await inviteAsAdmin(page, email, 'therapist');
      await context.clearCookies();
      await page.goto(firstURL);
      await page.getByLabel('Your name').fill('Kim Example');
      await page.getByLabel('Choose a password').fill('kim has a long password');
      await page.getByLabel('Type the password again').fill('kim has a long password');
      await page.getByRole('button', { name: 'Create my account' }).click();
      await page.waitForURL(`${baseURL}/`, { timeout });
      await context.clearCookies();

      // A second invitation to the same email: creating the account again is refused, and the
      // page never said whether the email had one.
      const secondURL = await inviteAsAdmin(page, email, 'admin');
      await context.clearCookies();
      await page.goto(secondURL);
      await page.getByRole('heading', { name: 'Already have an Amend account with this email?' }).waitFor({ timeout });
      await page.getByLabel('Your name').fill('Someone Else');
      await page.getByLabel('Choose a password').fill('a guess at a password');
      await page.getByLabel('Type the password again').fill('a guess at a password');
      await page.getByRole('button', { name: 'Create my account' }).click();
      const refusal = page.getByRole('alert');
      await refusal.waitFor({ timeout });
      assert.match(await refusal.innerText(), /exists already/);

      await page.getByLabel('Your Amend password').fill('kim has a long password');
      await page.getByRole('button', { name: 'Sign in and join' }).click();
      await page.waitForURL(`${baseURL}/`, { timeout });
      const me = await page.evaluate(async () => (await fetch('/api/v1/me')).json());
      assert.deepEqual(me.memberships.map((m) => m.role).sort(), ['admin', 'therapist']);
    });
  });
});
