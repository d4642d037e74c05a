// The therapist's screens in a real browser: caseload, a couple's page with assigning an exercise
// and progress charts, the exercise library and editor, and the calendar.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { launch, screenshots, settings, signIn, withPage } from './harness.mjs';

const { baseURL, password, therapistEmail } = settings();
const timeout = 15_000;

describe('therapist screens', { skip: !therapistEmail && 'AMEND_E2E_THERAPIST_EMAIL is not set' }, () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('opens a couple from the caseload, assigns an exercise and sees progress charts', async () => {
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, therapistEmail, password);
      const caseload = page.getByRole('region', { name: 'Your caseload' });
      await caseload.getByRole('link', { name: 'Rivera & Chen' }).waitFor({ timeout });
      assert.match(await caseload.innerText(), /Next session|No session booked/);
      await screenshots(page, 'therapist-caseload');

      await caseload.getByRole('link', { name: 'Rivera & Chen' }).click();
      await page.getByRole('heading', { level: 1, name: 'Rivera & Chen' }).waitFor({ timeout });
      const exercises = page.getByRole('region', { name: 'Exercises' });
      const before = await exercises.locator('ul.list-plain > li').count();

      await page.getByLabel('Exercise', { exact: true }).selectOption({ label: '11. Following through' });
      await page.getByLabel('For', { exact: true }).selectOption('both');
      await page.getByRole('button', { name: 'Assign', exact: true }).click();
      await page.getByText(/Assigned “Following through” to both partners\./).waitFor({ timeout });
      assert.equal(await exercises.locator('ul.list-plain > li').count(), before + 2, 'one assignment per partner');

      const trust = page.getByRole('figure', { name: /Trust/ });
      await trust.waitFor({ timeout });
      assert.equal(await trust.locator('svg[role="img"]').count(), 1);
      assert.match(await trust.locator('svg[role="img"]').getAttribute('aria-label'), /most recently/);
      await trust.getByText('Show the numbers as a table').click();
      assert.ok((await trust.locator('tbody tr').count()) > 0, 'the chart has a table alternative');
      assert.ok(await page.getByRole('figure', { name: /Safety/ }).isVisible());
      assert.ok(await page.getByRole('figure', { name: /Commitments kept/ }).isVisible());
      await screenshots(page, 'therapist-couple');

      await page.getByRole('link', { name: 'Clinical notes' }).click();
      await page.getByRole('heading', { level: 1, name: 'Clinical notes' }).waitFor({ timeout });
      await screenshots(page, 'therapist-notes');
    });
  });

  it('books a session and moves it, and its reminders move with it', async () => {
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, therapistEmail, password);
      await page.getByRole('region', { name: 'Your caseload' }).getByRole('link', { name: 'Rivera & Chen' }).click();
      await page.getByRole('heading', { level: 1, name: 'Rivera & Chen' }).waitFor({ timeout });
      await page.getByLabel('Day and time', { exact: true }).fill('2031-03-04T10:00');
      await page.getByRole('button', { name: 'Book', exact: true }).click();
      await page.getByText(/Session booked for/).waitFor({ timeout });
      const sessions = page.getByRole('region', { name: 'Sessions', exact: true });
      await sessions.getByRole('button', { name: /^Move\W+In person session with Maya Okafor/ }).last().click();
      await page.getByLabel('New day and time').fill('2031-03-05T11:30');
      await page.getByRole('button', { name: 'Move the session', exact: true }).click();
      await page.getByText(/The session is moved to .*; its reminders move with it\./).waitFor({ timeout });
      assert.equal(await page.getByLabel('New day and time').count(), 0);
      await screenshots(page, 'therapist-session-moved');
    });
  });

  it('adds a couple, changes its care team and closes it', async () => {
    const label = `Test couple ${randomBytes(3).toString('hex')}`;
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, therapistEmail, password);
      await page.getByRole('button', { name: 'Add a couple' }).click();
      await page.getByLabel('Label', { exact: true }).fill(label);
      await page.getByRole('checkbox', { name: 'Broken promises' }).check();
      assert.ok(await page.getByRole('checkbox', { name: /\(you\)$/ }).isChecked(), 'the therapist is on the team by default');
      await screenshots(page, 'therapist-new-couple');
      await page.getByRole('button', { name: 'Add couple' }).click();
      await page.getByRole('heading', { level: 1, name: label }).waitFor({ timeout });
      assert.match(new URL(page.url()).pathname, /^\/couples\/\d+$/, 'the address holds the id only');
      assert.match(await page.getByText('Broken promises').innerText(), /Broken promises/);

      await page.getByRole('button', { name: 'Save care team' }).click();
      await page.getByText(/^The care team is now /).waitFor({ timeout });

      await page.getByLabel('Status of the couple').selectOption('closed');
      assert.match(await page.getByText(/A closed couple becomes read-only/).innerText(), /read-only/);
      await screenshots(page, 'therapist-couple-settings');
      await page.getByRole('button', { name: 'Close the couple' }).click();
      await page.getByText('The couple is closed. Their file is now read-only.').waitFor({ timeout });
      await page.getByText(/This couple's file is closed/).waitFor({ timeout });
      for (const form of ['Assign an exercise', 'Book a session']) {
        assert.equal(await page.getByRole('heading', { name: form }).count(), 0, `no "${form}" form on a closed couple`);
      }
      assert.equal(await page.getByRole('link', { name: 'Start a live session' }).count(), 0, 'no new live session');
      assert.ok(await page.getByRole('button', { name: 'Save care team' }).isDisabled(), 'the care team stays as it is');
    });
  });

  it('edits a draft note, signs it and adds an addendum', async () => {
    const words = `plan-${randomBytes(4).toString('hex')}`;
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, therapistEmail, password);
      await page.getByRole('link', { name: 'Rivera & Chen' }).click();
      await page.getByRole('link', { name: 'Clinical notes' }).click();
      await page.getByRole('heading', { level: 1, name: 'Clinical notes' }).waitFor({ timeout });
      const writing = page.getByRole('region', { name: 'Write a note' });
      await writing.getByLabel('Format').selectOption('soap');
      for (const box of await writing.locator('textarea').all()) await box.fill('Written in the session.');
      await writing.getByRole('button', { name: 'Save draft' }).click();
      await page.getByText('The note is saved as a draft.').waitFor({ timeout });

      await page.getByRole('button', { name: 'Edit this draft' }).first().click();
      const editor = page.getByRole('form', { name: 'Edit the draft' });
      await editor.locator('textarea').last().fill(words);
      await editor.getByRole('button', { name: 'Save changes' }).click();
      await page.getByText('The draft is saved.').waitFor({ timeout });
      await page.getByText(words).waitFor({ timeout });

      await page.getByRole('button', { name: 'Sign this draft' }).first().click();
      await page.getByText('The note is signed and locked.').first().waitFor({ timeout });
      // A signed note reads in its template's order.
      const signed = page.locator('ul.list-plain > li', { hasText: words });
      assert.deepEqual(await signed.locator('dt').allTextContents(), ['Subjective', 'Objective', 'Assessment', 'Plan']);
      await page.getByRole('button', { name: /^Add an addendum/ }).first().click();
      await page.getByLabel('Addendum').fill(`Addendum for ${words}`);
      await page.getByRole('button', { name: 'Add addendum' }).click();
      await page.getByText('The addendum is added to the signed note.').waitFor({ timeout });
      await page.getByText(`Addendum for ${words}`).waitFor({ timeout });
      await screenshots(page, 'therapist-notes-addendum');
      assert.ok(!page.url().includes(words), 'no clinical text in the address');
    });
  });

  it('reads a handed-in answer and leaves feedback', async () => {
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, therapistEmail, password);
      await page.getByRole('link', { name: 'Rivera & Chen' }).click();
      const exercises = page.getByRole('region', { name: 'Exercises' });
      await exercises.getByText('Handed in, waiting for review').first().waitFor({ timeout });
      await exercises.locator('li', { hasText: 'Handed in, waiting for review' }).first().getByRole('link').click();
      await page.getByRole('heading', { level: 2, name: /^The answer/ }).waitFor({ timeout });
      await screenshots(page, 'therapist-review');
      await page.getByLabel('Feedback for the partner').fill('Thank you for writing this so plainly.');
      await page.getByRole('button', { name: 'Save feedback' }).click();
      await page.getByText('Your feedback is saved').waitFor({ timeout });
    });
  });

  it('browses the exercise library, drafts a new exercise and shows the week calendar', async () => {
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, therapistEmail, password);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Exercises' }).click();
      await page.getByRole('heading', { level: 1, name: 'Exercise library' }).waitFor({ timeout });
      await page.getByRole('link', { name: '1. Saying sorry' }).waitFor({ timeout });
      await screenshots(page, 'therapist-exercises');

      await page.getByRole('link', { name: 'Write a new exercise' }).click();
      await page.getByRole('heading', { level: 1, name: 'New exercise' }).waitFor({ timeout });
      await page.getByRole('button', { name: 'Save exercise' }).click();
      assert.match(await page.getByRole('alert').innerText(), /Give the exercise a title\./);
      await page.getByLabel('Title').fill('Evening gratitude');
      await page.getByLabel('Wording').fill('One thing your partner did today that you noticed');
      await page.getByRole('button', { name: 'Add a question' }).click();
      await page.getByLabel('Wording').nth(1).fill('How close do you feel tonight?');
      await page.getByLabel('Kind of answer').nth(1).selectOption('scale');
      await screenshots(page, 'therapist-exercise-editor');
      await page.getByRole('button', { name: 'Save exercise' }).click();
      await page.getByRole('heading', { level: 1, name: 'Edit exercise' }).waitFor({ timeout });
      assert.match(new URL(page.url()).pathname, /^\/exercises\/\d+$/, 'the address holds the id only');

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Calendar' }).click();
      await page.getByRole('heading', { level: 1, name: 'Your sessions' }).waitFor({ timeout });
      await page.getByRole('button', { name: 'Next week' }).click();
      await page.getByRole('button', { name: 'Create a calendar link' }).click();
      const feed = page.getByLabel('Calendar link');
      await feed.waitFor({ timeout });
      assert.match(await feed.inputValue(), /\/api\/v1\/calendar\/[A-Za-z0-9_-]+\.ics$/);
      await screenshots(page, 'therapist-calendar');
    });
  });
});
