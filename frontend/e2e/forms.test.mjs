// Forms in a real browser: the therapist sends each partner their own intake and the consent from
// the couple page; each partner, on a 360 px phone screen, fills their intake privately and signs
// the consent; neither ever sees the other's answers; a flagged safety answer shows the therapist
// a notice, and the signed copy downloads as a PDF.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { apiFromPage, launch, phone, settings, signIn, withPages } from './harness.mjs';

const { baseURL, password, partnerEmail, partnerBEmail, therapistEmail } = settings();
const timeout = 15_000;

/** Everything the page shows or keeps: its text, its form values and its browser storage. */
async function everythingVisible(page) {
  return page.evaluate(() => {
    const values = [...document.querySelectorAll('input, textarea, select')].map((el) => el.value);
    return [document.body.innerText, ...values, JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage })].join('\n');
  });
}

/** Fails when the page is wider than the phone screen it is shown on. */
async function fitsThePhone(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${what}: the page is ${overflow}px wider than a 360px phone screen`);
}

/** Opens the partner's form titled title from their home page's list of forms. */
async function openForm(page, title) {
  await page.goto('/');
  await page.getByRole('region', { name: 'Your forms' }).getByRole('link', { name: title }).click();
  await page.getByRole('heading', { level: 1, name: title }).waitFor({ timeout });
}

/** Fills the partner's intake with their own words and hands it in. */
async function fillIntake(page, words, safeAtHome) {
  await openForm(page, 'Getting started: your own intake');
  await fitsThePhone(page, 'the intake');
  await page.getByLabel('What you hope will be different after therapy').fill(`${words} hopes`);
  await page.getByLabel('What has brought you here now').fill(`${words} history`);
  await page.getByRole('group', { name: /How committed you feel/ }).getByRole('radio', { name: '7', exact: true }).check();
  await page.getByRole('group', { name: 'At home, with your partner, do you feel safe?' }).getByLabel(safeAtHome, { exact: true }).check();
  await page.getByLabel('A safe way for your therapist to reach you alone (optional)').fill(`${words} contact`);
  await page.getByRole('button', { name: 'Hand in to your therapist' }).click();
  await page.getByText('Handed in to your therapist.').waitFor({ timeout });
}

/** Signs the consent by ticking its questions, typing the name and confirming. */
async function signConsent(page, name) {
  await openForm(page, 'Consent to couples therapy');
  await fitsThePhone(page, 'the consent');
  const before = page.getByRole('group', { name: 'Before signing' });
  for (const option of ['I have read this form', 'I understand the policy on secrets one partner shares', 'My questions have been answered']) {
    await before.getByLabel(option).check();
  }
  await page.getByLabel('Type your full name').fill(name);
  await page.getByRole('checkbox', { name: /I sign it/ }).check();
  await page.getByRole('button', { name: 'Sign' }).click();
  await page.getByText(/Signed\. This form is now final/).waitFor({ timeout });
  await page.getByRole('link', { name: 'Download the signed copy (PDF)' }).waitFor({ timeout });
  await fitsThePhone(page, 'the signed consent');
}

describe('forms filled privately and consents signed on a phone', {
  skip: !(partnerEmail && partnerBEmail && therapistEmail) && 'set AMEND_E2E_PARTNER_EMAIL, AMEND_E2E_PARTNER_B_EMAIL and AMEND_E2E_THERAPIST_EMAIL',
}, () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('lets each partner fill their intake and sign the consent, and shows neither the other’s', async () => {
    const wordsA = `intake-a-${randomBytes(6).toString('hex')}`;
    const wordsB = `intake-b-${randomBytes(6).toString('hex')}`;
    await withPages(browser, baseURL, 3, async (therapist, partnerA, partnerB) => {
      // The therapist sends both forms to both partners from the couple page.
      const t = therapist.page;
      await signIn(t, baseURL, therapistEmail, password);
      const couples = (await apiFromPage(t, 'GET', '/practices/1/couples')).body.couples;
      const couple = couples.find((c) => c.label === 'Rivera & Chen');
      await t.goto(`/couples/${couple.id}`);
      const forms = t.getByRole('region', { name: 'Forms' });
      for (const title of ['Getting started: your own intake', 'Consent to couples therapy']) {
        await forms.getByLabel('Form to send').selectOption({ label: title });
        await forms.getByLabel('Send to').selectOption('both');
        await forms.getByRole('button', { name: 'Send the form' }).click();
        await forms.getByText('Sent to both partners.').waitFor({ timeout });
      }

      const a = partnerA.page;
      const b = partnerB.page;
      await a.setViewportSize(phone);
      await b.setViewportSize(phone);
      await signIn(a, baseURL, partnerEmail, password);
      await signIn(b, baseURL, partnerBEmail, password);

      await fillIntake(a, wordsA, 'No');
      await fillIntake(b, wordsB, 'Yes');
      await signConsent(a, `signed by ${wordsA}`);
      await signConsent(b, `signed by ${wordsB}`);

      // Neither partner's app, nor the API behind it, shows the other's intake or signature.
      for (const [page, own, other] of [
        [a, wordsA, wordsB],
        [b, wordsB, wordsA],
      ]) {
        await page.goto('/');
        const list = page.getByRole('region', { name: 'Your forms' });
        await list.getByRole('link', { name: 'Getting started: your own intake' }).waitFor({ timeout });
        await fitsThePhone(page, 'the partner home');
        const seen = await everythingVisible(page);
        assert.ok(!seen.includes(other), "the home page shows nothing of the other partner's forms, their signature included");
        const listed = await apiFromPage(page, 'GET', `/couples/${couple.id}/forms`);
        assert.equal(listed.status, 200);
        assert.equal(listed.body.forms.length, 2, 'each partner lists their own two forms and no more');
        assert.ok(!JSON.stringify(listed.body).includes(other), "the list behind it holds nothing of the other's");
        await openForm(page, 'Getting started: your own intake');
        assert.ok((await everythingVisible(page)).includes(own), 'each partner reads back their own answers');
      }
      const intakeOfA = (await apiFromPage(a, 'GET', `/couples/${couple.id}/forms`)).body.forms.find((f) => !f.signature);
      await b.goto(`/forms/${intakeOfA.id}`);
      await b.getByRole('heading', { level: 1, name: 'We could not open this form' }).waitFor({ timeout });
      assert.ok(!(await everythingVisible(b)).includes(wordsA), "opening the other's form by its address shows nothing");

      // The therapist reads both, sees the safety notice, and downloads a signed copy.
      await t.goto(`/couples/${couple.id}`);
      const notice = t.getByRole('region', { name: 'Safety notice' });
      await notice.getByRole('alert').waitFor({ timeout });
      await notice.getByRole('link', { name: /partner A/ }).click();
      await t.getByText(`${wordsA} contact`).waitFor({ timeout });
      const signed = (await apiFromPage(t, 'GET', `/couples/${couple.id}/forms`)).body.forms.filter((f) => f.status === 'signed');
      assert.equal(signed.length, 2, 'the care team sees both signed consents');
      const pdf = await t.evaluate(async (id) => {
        const response = await fetch(`/api/v1/forms/${id}/signed.pdf`);
        const bytes = new Uint8Array(await response.arrayBuffer());
        return { status: response.status, type: response.headers.get('Content-Type'), head: String.fromCharCode(...bytes.slice(0, 5)) };
      }, signed[0].id);
      assert.deepEqual(pdf, { status: 200, type: 'application/pdf', head: '%PDF-' });
    });
  });
});
