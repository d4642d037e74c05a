// Billing in a real browser: the administrator sets the practice's details and fees, the
// therapist charges a session, records a payment and prints a superbill whose figures and
// rendered page are checked, and the partner reads their own statement (and never the other's).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { apiFromPage, launch, pdfText, screenshots, settings, signIn, withPage } from './harness.mjs';

const { baseURL, password, adminEmail, therapistEmail, partnerEmail, partnerBEmail } = settings();
const timeout = 15_000;

/** YYYY-MM-DD of today plus days, in the browser's (and this machine's) time zone. */
function day(days) {
  const date = new Date();
  date.setDate(date.getDate() + days);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

/** Bills cover today and the next five weeks, where the demo's booked sessions fall. */
const range = { from: day(0), to: day(35) };

async function billRange(page) {
  await page.getByLabel('From', { exact: true }).fill(range.from);
  await page.getByLabel('To', { exact: true }).fill(range.to);
}

describe('billing', { skip: !(therapistEmail && partnerEmail && partnerBEmail) && 'the demo logins are not set' }, () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('the administrator sets the details a superbill prints and the practice fees', async () => {
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, adminEmail, password);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click();
      await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor({ timeout });
      await page.getByText('90847', { exact: true }).waitFor({ timeout });
      await page.getByLabel('Name on bills').fill('Amend Demo Counseling');
      await page.getByLabel('NPI').fill('1234567893');
      await page.getByLabel('Tax ID (EIN)').fill('12-3456789');
      await page.getByLabel('Address').fill('12 Quay Street\nPortland, ME 04101');
      await page.getByLabel('No-show fee in dollars').fill('75');
      await page.getByRole('button', { name: 'Save the billing profile' }).click();
      await page.getByText('The billing profile is saved.').waitFor({ timeout });
      await screenshots(page, 'admin-billing');
    });
  });

  it('the therapist charges a session, records a payment and prints the superbill', async () => {
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, therapistEmail, password);
      const me = await apiFromPage(page, 'GET', '/me');
      const practiceID = me.body.memberships[0].practice_id;
      const couples = await apiFromPage(page, 'GET', `/practices/${practiceID}/couples`);
      const couple = couples.body.couples.find((c) => c.label === 'Rivera & Chen');
      assert.equal((await apiFromPage(page, 'PUT', `/practices/${practiceID}/members/${me.body.user.id}/license`,
        { license_number: 'LMFT 4471' })).status, 204);
      assert.equal((await apiFromPage(page, 'PUT', `/couples/${couple.id}/diagnoses`,
        { diagnoses: [{ code: 'Z63.0' }] })).status, 200);

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click();
      await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor({ timeout });
      await page.getByLabel('Couple', { exact: true }).selectOption({ label: 'Rivera & Chen' });
      await page.getByLabel('Charges go to').selectOption({ label: 'Sam Rivera' });
      await page.getByRole('button', { name: 'Save who pays' }).click();
      await page.getByText('Who pays is saved').waitFor({ timeout });

      await page.getByLabel('Appointment').selectOption({ index: 1 });
      await page.getByRole('button', { name: 'Charge', exact: true }).click();
      await page.getByText('Charged $150.00.').waitFor({ timeout });

      await page.getByLabel('Partner', { exact: true }).selectOption({ label: 'Sam Rivera' });
      await page.getByLabel('Amount in dollars').fill('40');
      await page.getByLabel('How').selectOption('cheque');
      await page.getByRole('button', { name: 'Record', exact: true }).click();
      await page.getByText('Payment of $40.00 recorded.').waitFor({ timeout });
      await page.getByText('$110.00 owed').waitFor({ timeout });
      await billRange(page);
      await screenshots(page, 'therapist-billing');

      const href = await page.getByRole('link', { name: 'Superbill (PDF)' }).first().getAttribute('href');
      const pdf = await page.evaluate(async (url) => {
        const response = await fetch(url);
        return { status: response.status, type: response.headers.get('Content-Type'), bytes: [...new Uint8Array(await response.arrayBuffer())] };
      }, href);
      assert.equal(pdf.status, 200);
      assert.equal(pdf.type, 'application/pdf');
      // The rendered page joins the screenshots for a person to look at.
      const text = await pdfText((file) => writeFileSync(file, Buffer.from(pdf.bytes)), 'superbill');
      for (const want of ['Superbill', 'Amend Demo Counseling', 'NPI: 1234567893', 'Tax ID: 12-3456789', 'Sam Rivera',
        'Z63.0', 'Maya Okafor, license LMFT 4471', '90847', '$150.00', 'Payment (cheque)', '$40.00', 'Balance due', '$110.00']) {
        assert.ok(text.includes(want), `the superbill lacks ${want}:\n${text}`);
      }
    });
  });

  it('the partner reads their own statement and downloads their bills, and the other partner cannot', async () => {
    let statementPath = '';
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, partnerEmail, password);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Statement' }).click();
      await page.getByRole('heading', { level: 1, name: 'My statement' }).waitFor({ timeout });
      await billRange(page);
      const table = page.getByRole('table');
      await table.getByText('Payment (cheque)').waitFor({ timeout });
      assert.match(await table.innerText(), /Balance due\s+\$110\.00/);
      assert.ok(await page.getByRole('link', { name: 'Download the superbill (PDF)' }).isVisible());
      statementPath = (await page.getByRole('link', { name: 'Download the invoice (PDF)' }).getAttribute('href'))
        .replace('/api/v1', '').replace('invoice.pdf', 'statement');
      await screenshots(page, 'partner-statement');
    });
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, partnerBEmail, password);
      assert.equal((await apiFromPage(page, 'GET', statementPath)).status, 404);
    });
  });
});
