// The practice's week in a real browser, one appointment from booking to the bill: the therapist
// books a weekly series from the couple's first session (which took place yesterday), records that
// the couple attended it, finds the charge it made at the practice's fee in the couple's accounts
// and prints the superbill, whose date, CPT code and fee are read back from the PDF. Works on
// Novak & Adeyemi so the billing test's figures for Rivera & Chen stay its own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiFromPage, launch, pdfText, screenshots, settings, signIn, withPage } from './harness.mjs';

const { baseURL, password, therapistEmail } = settings();
const timeout = 15_000;
const coupleLabel = 'Novak & Adeyemi';
const payer = 'Jordan Novak';

/**
 * Yesterday at 07:00 on the machine's clock, as a datetime-local value: in the past, and an hour
 * no demo appointment or other browser test books, on any day the tests run.
 */
function yesterdayEarly() {
  const day = new Date(Date.now() - 24 * 3600 * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}T07:00`;
}

async function openBilling(page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click();
  await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor({ timeout });
  await page.getByLabel('Couple', { exact: true }).selectOption({ label: coupleLabel });
}

describe("the practice's week", { skip: !therapistEmail && 'the therapist login is not set' }, () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('books a series, records attendance and prints the superbill of that session', async () => {
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, therapistEmail, password);

      // Charges go to one partner, whose superbill claims them.
      await openBilling(page);
      await page.getByLabel('Charges go to').selectOption({ label: payer });
      await page.getByRole('button', { name: 'Save who pays' }).click();
      await page.getByText('Who pays is saved').waitFor({ timeout });

      // The couple came for their first session yesterday and stay on weekly.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Caseload' }).click();
      await page.getByRole('region', { name: 'Your caseload' }).getByRole('link', { name: coupleLabel }).click();
      await page.getByRole('heading', { level: 1, name: coupleLabel }).waitFor({ timeout });
      const sessions = page.getByRole('region', { name: 'Sessions', exact: true });
      await sessions.getByLabel('Day and time', { exact: true }).fill(yesterdayEarly());
      await sessions.getByLabel('Repeat').selectOption('1');
      await sessions.getByLabel('Number of sessions').fill('4');
      await sessions.getByRole('checkbox', { name: /Start from a past session/ }).check();
      await sessions.getByRole('button', { name: 'Book', exact: true }).click();
      await page.getByText(/^4 sessions booked, weekly from /).waitFor({ timeout });

      const first = sessions.getByRole('listitem').filter({ hasText: 'Series' }).filter({ has: page.getByRole('button', { name: /^Attended\W/ }) });
      assert.equal(await first.count(), 1, 'only the session that took place can be marked attended');
      await first.getByRole('button', { name: /^Attended\W/ }).click();
      await page.getByText(/^Attended: the session of /).waitFor({ timeout });

      // The day of that session in the practice's time zone, as the ledger and the bill date it.
      const coupleID = Number(new URL(page.url()).pathname.split('/')[2]);
      const booked = await apiFromPage(page, 'GET', `/couples/${coupleID}/appointments`);
      const attended = booked.body.appointments.filter((a) => a.series_id !== null && a.attendance === 'attended');
      assert.equal(attended.length, 1);
      const serviceDay = attended[0].starts_at.slice(0, 10);

      // The practice's fee schedule marks the service attended sessions are charged as.
      await openBilling(page);
      const service = page.getByRole('row').filter({ hasText: 'Attended sessions' }).getByRole('cell');
      const sessionCode = (await service.first().innerText()).trim();
      const sessionFee = (await service.last().innerText()).trim();
      assert.match(sessionCode, /^\d{5}$/);
      assert.match(sessionFee, /^\$\d+\.\d\d$/);
      const charge = page.getByRole('group', { name: 'Ledger' }).getByRole('row').filter({ hasText: payer }).filter({ hasText: sessionCode });
      await charge.waitFor({ timeout });
      assert.ok((await charge.innerText()).includes(sessionFee), `the charge is not of the practice's fee ${sessionFee}`);
      await page.getByRole('listitem').filter({ hasText: payer }).filter({ hasText: `${sessionFee} owed` }).waitFor({ timeout });
      await page.getByLabel('From', { exact: true }).fill(serviceDay);
      await page.getByLabel('To', { exact: true }).fill(serviceDay);
      await page.getByLabel('To', { exact: true }).blur();
      await screenshots(page, 'therapist-attended-session-billed');

      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout }),
        page.getByRole('listitem').filter({ hasText: payer }).getByRole('link', { name: 'Superbill (PDF)' }).click(),
      ]);
      const text = await pdfText((file) => download.saveAs(file), 'superbill-attended-session');
      const line = text.split('\n').find((l) => l.includes(serviceDay) && l.includes(sessionCode));
      assert.ok(line, `the superbill has no ${sessionCode} line dated ${serviceDay}:\n${text}`);
      assert.ok(line.includes(sessionFee), `the superbill's line for ${serviceDay} lacks the fee ${sessionFee}: ${line}`);
      for (const want of ['Superbill', `Client: ${payer}`, `Period: ${serviceDay} to ${serviceDay}`]) {
        assert.ok(text.includes(want), `the superbill lacks ${want}:\n${text}`);
      }
    });
  });
});
