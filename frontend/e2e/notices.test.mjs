// Live notices: a partner's open Today page shows the live session's join link as soon as the
// therapist starts it, and takes it away when it ends, without a reload.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiFromPage, launch, settings, signIn, withPages } from './harness.mjs';

const { baseURL, password, therapistEmail, partnerEmail } = settings();
const timeout = 15_000;

describe('live notices', {
  skip: !(therapistEmail && partnerEmail) && 'set AMEND_E2E_THERAPIST_EMAIL and AMEND_E2E_PARTNER_EMAIL',
}, () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it("shows the join link on the partner's open Today page within a second of the therapist starting the session", async () => {
    await withPages(browser, baseURL, 2, async (partner, therapist) => {
      const p = partner.page;
      const t = therapist.page;
      // The Today page's stream is open once the server has answered it.
      const streamOpened = p.waitForResponse((r) => r.url().endsWith('/api/v1/me/events') && r.status() === 200, { timeout });
      await signIn(p, baseURL, partnerEmail, password);
      await signIn(t, baseURL, therapistEmail, password);
      const me = await apiFromPage(p, 'GET', '/me');
      const coupleID = me.body.memberships.find((m) => m.couple_id).couple_id;
      const live = p.getByRole('region', { name: 'Live sessions' });
      await live.getByRole('heading', { name: 'Live sessions' }).waitFor({ timeout });
      await streamOpened;
      await p.evaluate(() => {
        window.amendNotReloaded = true;
      });

      const started = await apiFromPage(t, 'POST', `/couples/${coupleID}/live-sessions`, {});
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const startedAt = Date.now();
      const join = live.locator(`a[href="/live/${started.body.id}"]`);
      await join.waitFor({ timeout: 1_000 });
      const took = Date.now() - startedAt;
      assert.ok(took <= 1_000, `the join link showed after ${took} ms`);
      assert.equal(await join.innerText(), 'Join the live session');

      const ended = await apiFromPage(t, 'POST', `/live/${started.body.id}/commands`, { id: 'notices-e2e-end', type: 'end' });
      assert.equal(ended.status, 200, JSON.stringify(ended.body));
      await join.waitFor({ state: 'detached', timeout: 1_000 });
      assert.equal(await p.evaluate(() => window.amendNotReloaded), true, 'the page was not reloaded');
    });
  });
});
