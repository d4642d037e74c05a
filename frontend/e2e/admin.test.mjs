// The administrator's screens in a real browser: members and invitations, the audit log with
// filters, the access table, and a couple's file without any clinical content.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { apiFromPage, launch, screenshots, settings, signIn, withPage } from './harness.mjs';

const { baseURL, password, adminEmail } = settings();
const timeout = 15_000;

describe('administrator screens', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('invites a therapist and shows the one-time link to copy, then lists the open invitation', async () => {
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, adminEmail, password);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Members' }).click();
      await page.getByRole('heading', { level: 1, name: 'Members' }).waitFor({ timeout });
      await page.getByText('Sam Rivera').first().waitFor({ timeout });
      await screenshots(page, 'admin-members');

      const email = `e2e-${randomBytes(5).toString('hex')}@example.test`;
      await page.getByLabel('Email address').fill(email);
      await page.getByLabel('Role').selectOption('therapist');
      await page.getByRole('button', { name: 'Create invitation' }).click();
      const link = page.getByLabel('One-time invitation link');
      await link.waitFor({ timeout });
      const url = await link.inputValue();
      assert.match(url, new RegExp(`^${baseURL.replace(/[.]/g, '\\.')}/invite/[A-Za-z0-9_-]{20,}$`));
      assert.ok(await page.getByRole('button', { name: 'Copy link' }).isVisible());
      assert.match(await page.getByRole('status').first().innerText(), /only time Amend shows it/);
      await page.getByText(email).first().waitFor({ timeout });
      await screenshots(page, 'admin-invite-created');

      // Disabling asks first; keeping the account changes nothing.
      await page.getByRole('button', { name: 'Disable Leo Brandt' }).click();
      const confirm = page.getByRole('alertdialog');
      assert.match(await confirm.innerText(), /Disable Leo Brandt\? They lose access to this practice at once/);
      await page.getByRole('button', { name: 'Keep the account' }).click();
      assert.equal(await page.getByRole('alertdialog').count(), 0);
      assert.equal(await page.getByText('Disabled', { exact: true }).count(), 0);
    });
  });

  it('reads the mailed invitation, link and all, in the development mailbox', async () => {
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, adminEmail, password);
      const email = `e2e-${randomBytes(5).toString('hex')}@example.test`;
      const created = await apiFromPage(page, 'POST', '/practices/1/invites', { email, role: 'therapist' });
      assert.equal(created.status, 201);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Mail' }).click();
      await page.getByRole('heading', { level: 1, name: 'Mail' }).waitFor({ timeout });
      assert.ok(await page.getByLabel('Appointment reminders').isChecked());
      await page.getByRole('link', { name: 'Development mailbox' }).click();
      await page.getByRole('heading', { level: 1, name: 'Development mailbox' }).waitFor({ timeout });
      // The runner polls once a second: reload until the message is there.
      const deadline = Date.now() + timeout;
      while ((await page.getByText(`To ${email}`).count()) === 0 && Date.now() < deadline) {
        await page.reload();
        await page.getByRole('heading', { level: 1, name: 'Development mailbox' }).waitFor({ timeout });
      }
      const message = page.getByRole('article').filter({ hasText: `To ${email}` });
      assert.match(await message.innerText(), new RegExp(`/invite/${created.body.token}`));
      await screenshots(page, 'admin-mailbox');
    });
  });

  it('filters the audit log by kind of thing and action, and pages through it', async () => {
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, adminEmail, password);
      // Make sure there is an invitation entry to find.
      await apiFromPage(page, 'POST', '/practices/1/invites', {
        email: `e2e-${randomBytes(5).toString('hex')}@example.test`,
        role: 'admin',
      });
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor({ timeout });
      await page.getByRole('table').waitFor({ timeout });

      await page.getByLabel('Kind of thing').selectOption('invite');
      await page.getByLabel('What was done').selectOption({ label: 'Invited someone' });
      await page.getByLabel('Outcome').selectOption('allowed');
      await page.getByRole('button', { name: 'Show entries' }).click();
      await page.waitForFunction(() => {
        const cells = [...document.querySelectorAll('tbody tr td:nth-child(3)')];
        return cells.length > 0 && cells.every((cell) => cell.textContent?.trim() === 'Invited someone');
      }, undefined, { timeout });
      const rows = await page.locator('tbody tr').allInnerTexts();
      assert.ok(rows.length >= 1);
      for (const row of rows) {
        assert.match(row, /Invited someone/);
        assert.match(row, /Invitations/);
        assert.match(row, /Allowed/);
      }
      await screenshots(page, 'admin-audit-filtered');

      await page.getByLabel('Outcome').selectOption('denied');
      await page.getByRole('button', { name: 'Show entries' }).click();
      await page.getByText('No entries match these filters.').waitFor({ timeout });
      assert.ok(await page.getByRole('button', { name: 'Older entries' }).isDisabled());
    });
  });

  it('shows the access policy as readable tables grouped by what they protect', async () => {
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, adminEmail, password);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Access policy' }).click();
      await page.getByRole('heading', { level: 1, name: 'Who may do what' }).waitFor({ timeout });
      const notes = page.getByRole('region', { name: 'Clinical notes' });
      await notes.waitFor({ timeout });
      const headers = await notes.locator('thead th').allInnerTexts();
      assert.deepEqual(headers, ['Who', 'Which ones', 'May']);
      const noteRows = await notes.locator('tbody tr').allInnerTexts();
      assert.ok(noteRows.some((row) => /Therapists/.test(row) && /for couples they care for/.test(row)));
      assert.ok(!noteRows.some((row) => /Administrators/.test(row)), 'administrators have no rule on clinical notes');
      assert.ok(await page.getByRole('region', { name: 'Couples' }).isVisible());
      await screenshots(page, 'admin-policy');
    });
  });

  it("cannot open clinical notes: the notes page says not found and the couple's file shows none", async () => {
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, adminEmail, password);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Couples' }).click();
      await page.getByRole('link', { name: 'Rivera & Chen' }).click();
      await page.getByRole('heading', { level: 1, name: 'Rivera & Chen' }).waitFor({ timeout });
      const coupleID = new URL(page.url()).pathname.split('/').pop();
      const text = await page.getByRole('main').innerText();
      assert.ok(!/Clinical notes/.test(text), 'no notes link or notes in the file');
      assert.ok(await page.getByRole('button', { name: 'Download as JSON' }).isVisible());
      assert.ok(await page.getByRole('link', { name: 'Open printable summary' }).isVisible());
      await screenshots(page, 'admin-couple-record');

      await page.getByRole('button', { name: 'Erase this record…' }).click();
      await page.getByLabel(/type the couple's label/).fill('Rivera and Chen');
      await page.getByRole('button', { name: 'Erase for good' }).click();
      assert.match(await page.getByRole('alert').innerText(), /exactly as shown, “Rivera & Chen”/);
      await screenshots(page, 'admin-erase-confirm');
      await page.getByRole('button', { name: 'Cancel' }).click();

      await page.goto(`/couples/${coupleID}/notes`);
      await page.getByRole('heading', { level: 1, name: 'We could not find that page' }).waitFor({ timeout });
      const answer = await apiFromPage(page, 'GET', `/couples/${coupleID}/notes`);
      assert.equal(answer.status, 404);
      assert.equal(answer.body.error.code, 'not_found');
      await screenshots(page, 'admin-notes-not-found');
    });
  });
});
