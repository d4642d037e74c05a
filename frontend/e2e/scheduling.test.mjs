// Scheduling in a real browser: the front desk books a weekly series from a free hour of the
// practice calendar, and the therapist records a past session and that the couple attended it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { launch, screenshots, settings, signIn, withPage } from './harness.mjs';

const { baseURL, password, therapistEmail, frontDeskEmail } = settings();
const timeout = 15_000;

/** Yesterday at 08:00 on the machine's clock, as a datetime-local value. */
function yesterdayMorning() {
  const day = new Date(Date.now() - 24 * 3600 * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}T08:00`;
}

describe('scheduling', { skip: !(therapistEmail && frontDeskEmail) && 'the therapist and front desk logins are not set' }, () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('books a weekly series from a free hour of the practice calendar', async () => {
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, frontDeskEmail, password);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Calendar' }).click();
      await page.getByRole('heading', { level: 1, name: "The practice's calendar" }).waitFor({ timeout });
      await page.getByRole('button', { name: 'Next week' }).click();
      await page.getByRole('button', { name: /^09:00 .* with Maya Okafor$/ }).first().click();

      const form = page.getByRole('group', { name: 'Book with Maya Okafor' });
      await form.getByLabel('Couple').selectOption({ label: 'Rivera & Chen' });
      assert.equal(await form.getByLabel('Therapist').inputValue(), await form.getByLabel('Therapist').locator('option', { hasText: 'Maya Okafor' }).getAttribute('value'));
      await form.getByLabel('Kind').selectOption('video');
      await form.getByLabel('Repeat').selectOption('1');
      await form.getByLabel('Number of sessions').fill('4');
      await form.getByRole('button', { name: 'Book', exact: true }).click();
      await page.getByText(/^4 sessions booked, weekly from /).waitFor({ timeout });

      const booked = page.getByRole('listitem').filter({ hasText: 'Rivera & Chen · Video session with Maya Okafor' });
      assert.ok((await booked.count()) >= 1, 'the series shows on the calendar with its therapist');
      await screenshots(page, 'front-desk-calendar');
    });
  });

  it('records a past session and that the couple attended it', async () => {
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, therapistEmail, password);
      await page.getByRole('region', { name: 'Your caseload' }).getByRole('link', { name: 'Rivera & Chen' }).click();
      await page.getByRole('heading', { level: 1, name: 'Rivera & Chen' }).waitFor({ timeout });
      const sessions = page.getByRole('region', { name: 'Sessions', exact: true });
      assert.ok((await sessions.getByText('Series').count()) >= 4, 'the weekly series is on the couple page');

      await sessions.getByLabel('Day and time', { exact: true }).fill(yesterdayMorning());
      await sessions.getByRole('checkbox', { name: /Record a past session/ }).check();
      await sessions.getByRole('button', { name: 'Record the past session' }).click();
      await page.getByText(/^The past session of .* is recorded\.$/).waitFor({ timeout });

      await sessions.getByRole('button', { name: /^Attended\W+In person session with Maya Okafor/ }).click();
      await page.getByText(/^Attended: the session of /).waitFor({ timeout });
      const attended = sessions.getByRole('listitem').filter({ hasText: 'Attended' }).filter({ has: page.getByRole('link', { name: 'Write its note' }) });
      await attended.waitFor({ timeout });
      await screenshots(page, 'therapist-attendance');
    });
  });
});
