// Treatment plans and questionnaires in a real browser, on the demo couple whose file holds the
// records (Novak & Adeyemi; the other browser tests work on Rivera & Chen): the therapist drafts a
// new version of the plan and signs it; each partner acknowledges it, one on a 360 px phone screen;
// a partner answers the PHQ-9 with item 9 above zero and the therapist sees the safety notice on the
// couple page while the other partner sees nothing of it; the care team sees the CSI-4 chart with
// its cut-off and the partners' divergence, which neither partner sees.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { apiFromPage, launch, phone, screenshots, settings, signIn, withPages } from './harness.mjs';

const { baseURL, password, therapistEmail } = settings();
// The demo's partners of the records couple; another practice's test run names its own.
const partnerAEmail = process.env.AMEND_E2E_RECORDS_PARTNER_EMAIL ?? 'jordan.novak@demo.amend.test';
const partnerBEmail = process.env.AMEND_E2E_RECORDS_PARTNER_B_EMAIL ?? 'tayo.adeyemi@demo.amend.test';
const coupleLabel = process.env.AMEND_E2E_RECORDS_COUPLE ?? 'Novak & Adeyemi';
const timeout = 15_000;

/** The partner's Progress screen, with their treatment plan and questionnaires. */
async function openProgress(page) {
  await page.goto('/progress');
  await page.getByRole('heading', { level: 1, name: 'How things are going' }).waitFor({ timeout });
}

/** Acknowledges the current plan, whose problems include problem, from the partner's Progress screen. */
async function acknowledgePlan(page, problem) {
  await openProgress(page);
  const plan = page.getByRole('region', { name: 'Treatment plan' }).last();
  await plan.getByText(problem).waitFor({ timeout });
  await plan.getByRole('button', { name: 'I have read this plan' }).click();
  await plan.getByText('Thank you: your acknowledgement is recorded.').waitFor({ timeout });
  await plan.getByText(/You acknowledged this plan on/).waitFor({ timeout });
}

describe('treatment plans and questionnaires', {
  skip: !therapistEmail && 'set AMEND_E2E_THERAPIST_EMAIL',
}, () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('signs a plan each partner acknowledges, tells only the care team of a PHQ-9 safety answer, and shows them the divergence', async () => {
    const problem = `Plans change at the last minute (${randomBytes(4).toString('hex')}).`;
    await withPages(browser, baseURL, 3, async (therapist, partnerA, partnerB) => {
      // The therapist drafts the plan's next version on the couple page and signs it.
      const t = therapist.page;
      await signIn(t, baseURL, therapistEmail, password);
      const couple = (await apiFromPage(t, 'GET', '/practices/1/couples')).body.couples.find((c) => c.label === coupleLabel);
      assert.ok(couple, `the demo has the couple ${coupleLabel}`);
      await t.goto(`/couples/${couple.id}`);
      const plan = t.getByRole('region', { name: 'Treatment plan' }).last();
      await plan.getByRole('button', { name: /Revise: start version \d+|Draft a treatment plan/ }).click();
      await plan.getByText('A new draft is started.').waitFor({ timeout });
      const problems = plan.getByLabel('Problems, one a line');
      await problems.fill(`${await problems.inputValue()}\n${problem}`.trim());
      await plan.getByRole('button', { name: /^Sign version \d+$/ }).click();
      await plan.getByText('The plan is signed. The partners can now read and acknowledge it.').waitFor({ timeout });
      await plan.getByText(problem).waitFor({ timeout });

      // Each partner acknowledges it, partner A on a phone.
      const a = partnerA.page;
      const b = partnerB.page;
      await a.setViewportSize(phone);
      await signIn(a, baseURL, partnerAEmail, password);
      await signIn(b, baseURL, partnerBEmail, password);
      await acknowledgePlan(a, problem);
      const overflow = await a.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the acknowledged plan is ${overflow}px wider than a 360px phone screen`);
      await acknowledgePlan(b, problem);
      await t.reload();
      await t.getByRole('region', { name: 'Treatment plan' }).last().getByText(/Acknowledged by .* and /).first().waitFor({ timeout });

      // Partner B answers the PHQ-9 with item 9 above "Not at all".
      await openProgress(b);
      await b.getByLabel('Which questionnaire to answer').selectOption({ label: 'Patient Health Questionnaire (PHQ-9)' });
      const items = b.locator('fieldset.item');
      await items.first().waitFor({ timeout });
      assert.equal(await items.count(), 9, 'the PHQ-9 has nine items');
      for (let i = 0; i < 9; i++) await items.nth(i).getByLabel('Several days', { exact: true }).check();
      await b.getByRole('button', { name: 'Send my answers' }).click();
      await b.getByText(/Your care team will see this/).waitFor({ timeout });

      // The therapist's couple page shows it in the one safety notice.
      await t.reload();
      const notice = t.getByRole('region', { name: 'Safety notice' });
      await notice.getByText(/answered the Patient Health Questionnaire \(PHQ-9\)/).waitFor({ timeout });
      assert.match(await notice.innerText(), /Only the care team sees this notice/);
      await screenshots(t, 'therapist-plan-and-safety-notice');

      // The care team sees the CSI-4 chart with its cut-off, and the partners' divergence with its table.
      const progress = t.getByRole('region', { name: 'Progress', exact: true });
      const csi4 = progress.getByRole('figure', { name: /^(?!Gap).*CSI-4/ }).first();
      await csi4.getByText('Distress cut-off (13.5, dashed line)').waitFor({ timeout });
      const gap = progress.getByRole('figure', { name: /Gap between the partners’ CSI-4 totals/ });
      await gap.waitFor({ timeout });
      await progress.getByText('Show both partners’ values and the gap').first().click();
      assert.ok((await progress.locator('.divergence tbody tr').count()) > 0, 'the divergence table has rows');

      // Partner A sees nothing of partner B's PHQ-9 nor of the divergence, on screen or through the API.
      await openProgress(a);
      await a.getByRole('region', { name: 'Treatment plan' }).last().getByText(problem).waitFor({ timeout });
      const seen = await a.evaluate(() => document.body.innerText);
      for (const hidden of ['Safety notice', 'Check on safety', 'How far apart the partners stand', 'Gap between']) {
        assert.ok(!seen.includes(hidden), `partner A's progress screen shows "${hidden}"`);
      }
      assert.equal((await apiFromPage(a, 'GET', `/couples/${couple.id}/safety-flags`)).status, 404);
      assert.equal((await apiFromPage(a, 'GET', `/couples/${couple.id}/divergence`)).status, 404);
      const measures = (await apiFromPage(a, 'GET', `/couples/${couple.id}/measures`)).body.measures;
      const me = (await apiFromPage(a, 'GET', '/me')).body.user.id;
      assert.ok(measures.every((m) => m.author_id === me || m.visibility === 'partner'), "partner A reads only their own or shared answers");
      assert.ok(!measures.some((m) => m.safety_flag), "partner A's list holds no safety flag");
      await screenshots(a, 'partner-progress-with-plan');
    });
  });
});
