// Account recovery in a real browser: "Forgot your password?" from the sign-in page, the link read
// in the development mailbox (the browser tests' server has no mail server), a new password, signing
// in with it, and changing it again in the account's settings.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { apiFromPage, launch, screenshots, settings, signIn, signInWithKeyboard, withPage } from './harness.mjs';

const { baseURL, password, adminEmail } = settings();
const timeout = 15_000;

/** Reloads the development mailbox until a message with subject has reached to, and returns its text. */
async function readMail(page, to, subject) {
  const deadline = Date.now() + timeout;
  for (;;) {
    await page.goto('/mailbox');
    await page.getByRole('heading', { level: 1, name: 'Development mailbox' }).waitFor({ timeout });
    await page.getByText(/No mail yet|To /).first().waitFor({ timeout });
    const message = page
      .getByRole('article')
      .filter({ hasText: `To ${to}` })
      .filter({ has: page.getByRole('heading', { name: subject }) });
    if ((await message.count()) > 0) return message.first().innerText();
    assert.ok(Date.now() < deadline, `no "${subject}" to ${to} in the development mailbox`);
  }
}

describe('account recovery', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('resets a forgotten password through the mailed link, then changes it in the settings', async () => {
    // An account of its own, so that ending all its sessions disturbs no other test.
    const email = `e2e-reset-${randomBytes(5).toString('hex')}@example.test`;
    const resetPassword = 'a fresh passphrase from the link';
    const changedPassword = 'and another one, chosen in the settings';
    await withPage(browser, baseURL, async (admin) => {
      await signIn(admin, baseURL, adminEmail, password);
      const invite = await apiFromPage(admin, 'POST', '/practices/1/invites', { email, role: 'therapist' });
      assert.equal(invite.status, 201);

      await withPage(browser, baseURL, async (person) => {
        await person.goto('/sign-in');
        const accepted = await apiFromPage(person, 'POST', `/invites/${invite.body.token}/accept`, {
          name: 'Robin Ashdown',
          password,
        });
        assert.equal(accepted.status, 200);
        assert.equal((await apiFromPage(person, 'POST', '/auth/logout')).status, 204);

        await person.goto('/sign-in');
        await person.getByRole('link', { name: 'Forgot your password?' }).click();
        await person.getByRole('heading', { level: 1, name: 'Forgot your password?' }).waitFor({ timeout });
        await person.getByLabel('Email address').fill(email);
        await person.getByRole('button', { name: 'Send me a link' }).click();
        await person.getByRole('status').filter({ hasText: 'Check your mail.' }).waitFor({ timeout });
        await screenshots(person, 'reset-requested');

        const mail = await readMail(admin, email, 'Reset your Amend password');
        const link = mail.match(/https?:\/\/\S+\/reset\/([A-Za-z0-9_-]{43})/);
        assert.ok(link, `no reset link in: ${mail}`);
        assert.ok(link[0].startsWith(`${baseURL}/reset/`), `the link ${link[0]} does not lead to ${baseURL}`);

        await person.goto(link[0]);
        await person.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor({ timeout });
        await person.getByLabel('New password', { exact: true }).fill(resetPassword);
        await person.getByLabel('New password again').fill(resetPassword);
        await screenshots(person, 'reset-new-password');
        await person.getByRole('button', { name: 'Set the new password' }).click();
        await person.getByRole('heading', { level: 1, name: 'Your password is changed' }).waitFor({ timeout });
        const again = await apiFromPage(person, 'POST', `/auth/password-resets/${link[1]}`, { password: resetPassword });
        assert.equal(again.status, 404, 'the link worked a second time');

        // The old password no longer signs in; the new one does.
        await signInWithKeyboard(person, email, password);
        await person.getByRole('alert').filter({ hasText: 'We could not sign you in.' }).waitFor({ timeout });
        await signIn(person, baseURL, email, resetPassword);

        await person.getByRole('link', { name: 'Password', exact: true }).click();
        await person.getByRole('heading', { level: 1, name: 'Change your password' }).waitFor({ timeout });
        await person.getByLabel('Current password').fill('not the password');
        await person.getByLabel('New password', { exact: true }).fill(changedPassword);
        await person.getByLabel('New password again').fill(changedPassword);
        await person.getByRole('button', { name: 'Change password' }).click();
        await person.getByRole('alert').filter({ hasText: 'Your current password is not right.' }).waitFor({ timeout });
        await person.getByLabel('Current password').fill(resetPassword);
        await person.getByRole('button', { name: 'Change password' }).click();
        await person.getByRole('status').filter({ hasText: 'Your password is changed.' }).waitFor({ timeout });
        await screenshots(person, 'change-password');
        assert.equal((await apiFromPage(person, 'GET', '/me')).status, 200, 'changing the password signed this device out');

        assert.match(await readMail(admin, email, 'Your Amend sign-in was changed'), /password or second factor was just changed/);
      });
    });
  });
});
