// The therapist's screens in a real browser: caseload, a couple's page with assigning an exercise
// and progress charts, the exercise library and editor, and the calendar.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
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
