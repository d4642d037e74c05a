// A live session in three browsers: the therapist chairs and chooses to show typing, a partner
// asks for the free floor and is given it, the two partners take the speaker and listener steps
// (one box to write in at a time), one partner's network drops and comes back, and the summary
// adds it up.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { apiFromPage, launch, phone, screenshots, settings, signIn, withPages } from './harness.mjs';

const { baseURL, password, therapistEmail, partnerEmail, partnerBEmail } = settings();
const timeout = 15_000;

/** The transcript's lines as the page shows them, with their event numbers. */
async function transcript(page) {
  return page.locator('[role="log"] li').evaluateAll((items) =>
    items.map((li) => ({ seq: Number(li.getAttribute('data-seq')), text: li.innerText })),
  );
}

/** Waits until the transcript holds a line with text, and returns how many lines hold it. */
async function linesWith(page, text) {
  await page.locator('[role="log"] li', { hasText: text }).first().waitFor({ timeout });
  return (await transcript(page)).filter((line) => line.text.includes(text)).length;
}

function assertInOrderOnce(lines, who) {
  const seqs = lines.map((line) => line.seq);
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), `${who}: the transcript is in order`);
  assert.equal(new Set(seqs).size, seqs.length, `${who}: no event shows twice`);
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, `${who}: no event is missing`);
}

describe('live session', {
  skip: !(therapistEmail && partnerEmail && partnerBEmail) && 'set AMEND_E2E_THERAPIST_EMAIL, AMEND_E2E_PARTNER_EMAIL and AMEND_E2E_PARTNER_B_EMAIL',
}, () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('runs a speaker–listener session end to end, through a dropped connection, to its summary', async () => {
    const tag = randomBytes(4).toString('hex');
    await withPages(browser, baseURL, 3, async (chair, sam, alex) => {
      const t = chair.page;
      const a = sam.page;
      const b = alex.page;

      // The therapist starts the session from the couple's page.
      await signIn(t, baseURL, therapistEmail, password);
      await t.getByRole('region', { name: 'Your caseload' }).getByRole('link', { name: 'Rivera & Chen' }).click();
      await t.getByRole('heading', { level: 1, name: 'Rivera & Chen' }).waitFor({ timeout });
      await t.getByRole('link', { name: 'Start a live session' }).click();
      await t.getByRole('heading', { level: 1, name: 'Start a live session' }).waitFor({ timeout });
      await t.getByLabel(/Speaker and listener/).check();
      await t.getByLabel('Turn length').selectOption({ label: '3 minutes' });
      // Typing is shown as it is written only if the therapist chooses it.
      const showTyping = t.getByLabel('Show each partner’s typing to the others as they write');
      assert.equal(await showTyping.isChecked(), false, 'typing is not shown unless chosen');
      await screenshots(t, 'live-start');
      await showTyping.check();
      await t.getByRole('button', { name: 'Start the session' }).click();
      await t.waitForURL(/\/live\/\d+$/, { timeout });
      const sessionID = Number(new URL(t.url()).pathname.split('/').pop());
      await t.getByRole('heading', { level: 1, name: 'Live session · Rivera & Chen' }).waitFor({ timeout });
      await t.getByRole('status').filter({ hasText: /●\s*Live/ }).waitFor({ timeout });

      // Both partners join from their home page.
      for (const [page, email] of [[a, partnerEmail], [b, partnerBEmail]]) {
        await signIn(page, baseURL, email, password);
        const join = page.locator(`a[href="/live/${sessionID}"]`);
        assert.equal(await join.innerText(), 'Join the live session');
        await join.click();
        await page.getByRole('heading', { level: 1, name: 'Live session' }).waitFor({ timeout });
        await page.getByRole('status').filter({ hasText: /●\s*Live/ }).waitFor({ timeout });
      }
      const people = t.getByRole('list', { name: 'People in the session' });
      await people.locator('li', { hasText: 'Sam' }).getByText('● here').waitFor({ timeout });
      await people.locator('li', { hasText: 'Alex' }).getByText('● here').waitFor({ timeout });

      // Sam asks for the free floor: it waits for the therapist, as Sam's screen says, who gives it.
      await a.getByRole('button', { name: 'Ask for the floor' }).click();
      await a.getByText('You asked for the floor: your therapist gives it.').waitFor({ timeout });
      assert.equal(await a.getByText('No one has the floor.').count(), 1);
      await people.locator('li', { hasText: 'Sam' }).getByText('Waiting for the floor').waitFor({ timeout });
      await t.getByText('The partners’ typing is shown to the room as they write.').waitFor({ timeout });

      // The floor goes to Sam. Alex's speak box stays shut, and the server refuses a say out of turn.
      await t.getByRole('button', { name: /^Give the floor to Sam/ }).click();
      await a.getByText(/Your turn to speak/).waitFor({ timeout });
      await a.getByRole('timer').waitFor({ timeout });
      // Each partner's own screen speaks of them as "you".
      await a.getByText(/^You are speaking; Alex .* is listening\./).waitFor({ timeout });
      await b.getByText(/is speaking; you are listening\./).waitFor({ timeout });
      assert.ok(await b.getByLabel('Your words').isDisabled(), "Alex's speak box is shut while Sam speaks");
      assert.ok(await b.getByRole('button', { name: 'Send', exact: true }).isDisabled());
      const outOfTurn = await apiFromPage(b, 'POST', `/live/${sessionID}/commands`, {
        id: `e2e-${tag}-interrupt`,
        type: 'say',
        text: 'out of turn',
      });
      assert.equal(outOfTurn.status, 409);
      assert.equal(outOfTurn.body.error.code, 'not_your_turn');
      assert.equal((await transcript(b)).filter((line) => line.text.includes('out of turn')).length, 0);

      // Sam speaks: as Sam's screen says, Alex sees the draft while it is typed, then the words.
      await a.getByText(/^Your typing is shown to Alex .* as you write\.$/).waitFor({ timeout });
      const words = `I felt alone that winter ${tag}.`;
      await a.getByLabel('Your words').pressSequentially('I felt alone', { delay: 20 });
      await b.getByText(/is writing:/).waitFor({ timeout });
      await a.getByLabel('Your words').fill(words);
      await a.getByRole('button', { name: 'Send', exact: true }).click();
      assert.equal(await linesWith(b, words), 1);
      await screenshots(a, 'live-partner-speaking');

      // Sam hands over; Alex says back what they heard; Sam answers "not quite", then "that's it".
      await a.getByRole('button', { name: "I'm done, hand over" }).click();
      const first = `You were busy ${tag}.`;
      await b.getByLabel(/What you heard .* say/).waitFor({ timeout });
      assert.equal(await b.locator('textarea').count(), 1, 'Alex has one box to write in while paraphrasing');
      assert.equal(await b.getByLabel('Your words').count(), 0);
      await screenshots(b, 'live-partner-paraphrase');
      await b.getByLabel(/What you heard .* say/).fill(first);
      await b.getByRole('button', { name: 'Send what you heard' }).click();
      await a.locator('blockquote', { hasText: first }).waitFor({ timeout });
      await screenshots(a, 'live-partner-confirm');
      await a.getByRole('button', { name: 'Not quite' }).click();
      const second = `You felt alone that winter ${tag}.`;
      await b.getByLabel(/What you heard .* say/).fill(second);
      await b.getByRole('button', { name: 'Send what you heard' }).click();
      await a.locator('blockquote', { hasText: second }).waitFor({ timeout });
      await a.getByRole('button', { name: "That's it" }).click();

      // The floor passes to Alex.
      await b.getByText(/Your turn to speak/).waitFor({ timeout });
      assert.ok(await b.getByLabel('Your words').isEnabled());
      assert.ok(await a.getByLabel('Your words').isDisabled());
      await t.getByText(/Alex .* is speaking; Sam .* is listening\./).waitFor({ timeout });
      await screenshots(t, 'live-console');

      // Alex's network drops. What Alex sends meanwhile waits; what the therapist says arrives later.
      await alex.context.setOffline(true);
      await b.getByRole('status').filter({ hasText: /○\s*Offline/ }).waitFor({ timeout });
      const offlineWords = `Said while offline ${tag}.`;
      await b.getByLabel('Your words').fill(offlineWords);
      await b.getByRole('button', { name: 'Send', exact: true }).click();
      await b.getByText('1 action waits to be sent').waitFor({ timeout });
      const note = `Take your time ${tag}.`;
      await t.getByLabel('A message to the couple').fill(note);
      await t.getByRole('button', { name: 'Send message' }).click();
      assert.equal(await linesWith(a, note), 1);
      await alex.context.setOffline(false);
      await b.getByRole('status').filter({ hasText: /●\s*Live/ }).waitFor({ timeout });
      assert.equal(await linesWith(b, note), 1, 'Alex catches up with what was said meanwhile, once');
      assert.equal(await linesWith(b, offlineWords), 1, "Alex's queued words are sent once");
      assert.equal(await linesWith(a, offlineWords), 1, 'and Sam sees them once');
      assert.equal(await linesWith(t, offlineWords), 1);
      assert.equal(await b.getByLabel('Your words').inputValue(), '', 'the box empties once the words are stored');

      // A break and back, then the end.
      await t.getByRole('button', { name: 'Pause', exact: true }).click();
      await a.getByText(/On a break, called by/).waitFor({ timeout });
      await b.getByRole('button', { name: "I'm ready to go on" }).waitFor({ timeout });
      await t.getByRole('button', { name: 'Resume' }).click();
      await b.getByText(/Your turn to speak/).waitFor({ timeout });
      await t.getByRole('button', { name: 'End session' }).click();
      await t.getByRole('button', { name: 'Yes, end it' }).click();
      await a.getByText('The session has ended.').waitFor({ timeout });
      await b.getByText('The session has ended.').waitFor({ timeout });

      const summary = t.getByRole('table', { name: 'Session summary' });
      await summary.waitFor({ timeout });
      const samRow = await summary.getByRole('row', { name: /Sam/ }).innerText();
      // Cells after the name: talk time, said, held back out of turn (then spoken out of turn).
      const alexHeldBack = await summary.getByRole('row', { name: /Alex/ }).getByRole('cell').nth(2).innerText();
      assert.match(samRow, /\d+ seconds?|minute/, 'Sam has talk time');
      assert.doesNotMatch(samRow, /\b0 seconds\b/);
      assert.equal(alexHeldBack.trim(), '1', "Alex's say out of turn was held back");
      await screenshots(t, 'live-console-summary');

      for (const [page, who] of [[t, 'the therapist'], [a, 'Sam'], [b, 'Alex']]) {
        assertInOrderOnce(await transcript(page), who);
        const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
        assert.ok(!stored.includes(tag), `${who}: nothing said is kept in browser storage`);
        assert.ok(!page.url().includes(tag), `${who}: nothing said is in the address`);
      }
      assert.deepEqual(
        (await transcript(b)).map((line) => line.seq),
        (await transcript(a)).map((line) => line.seq),
        'both partners hold the same events',
      );

      await b.setViewportSize(phone);
      await screenshots(b, 'live-partner-ended');
    });
  });
});
