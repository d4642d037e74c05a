// The partners' screens in a real browser, and the privacy between them: what one partner keeps
// to themselves never shows in the other's app, until they choose to share it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { apiFromPage, desktop, launch, phone, screenshots, settings, signIn, withPage, withPages } from './harness.mjs';

const { baseURL, password, partnerEmail, partnerBEmail, therapistEmail } = settings();
const timeout = 15_000;

/** Everything the page shows or keeps: its text, its form values and its browser storage. */
async function everythingVisible(page) {
  return page.evaluate(() => {
    const values = [...document.querySelectorAll('input, textarea, select')].map((el) => el.value);
    return [document.body.innerText, ...values, JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage })].join('\n');
  });
}

describe('partner screens and privacy between partners', {
  skip: !(partnerEmail && partnerBEmail && therapistEmail) && 'set AMEND_E2E_PARTNER_EMAIL, AMEND_E2E_PARTNER_B_EMAIL and AMEND_E2E_THERAPIST_EMAIL',
}, () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it("keeps a check-in marked 'Only you' out of the other partner's app until it is shared", async () => {
    const secret = `private-checkin-${randomBytes(6).toString('hex')}`;
    await withPages(browser, baseURL, 2, async (author, reader) => {
      const a = author.page;
      await signIn(a, baseURL, partnerEmail, password);
      const checkin = a.getByRole('region', { name: "Today's check-in" });
      await checkin.getByRole('group', { name: /trust your partner/ }).getByRole('radio', { name: '6', exact: true }).check();
      await checkin.getByRole('group', { name: /How safe/ }).getByRole('radio', { name: '7', exact: true }).check();
      await checkin.getByLabel('A word for how you feel').selectOption('hopeful');
      await checkin.getByLabel('Anything you want to note').fill(secret);
      await checkin.getByLabel('Only you').check();
      await checkin.getByRole('button', { name: 'Save check-in' }).click();
      await checkin.getByText("Today's check-in is saved. Only you can see this.").waitFor({ timeout });
      await screenshots(a, 'partner-home');

      const b = reader.page;
      await signIn(b, baseURL, partnerBEmail, password);
      await b.getByRole('region', { name: /^Shared with you by/ }).waitFor({ timeout });
      assert.ok(!(await everythingVisible(b)).includes(secret), "the other partner's home does not show it");
      await b.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Progress' }).click();
      await b.getByRole('figure', { name: /Trust/ }).waitFor({ timeout });
      assert.ok(!(await everythingVisible(b)).includes(secret), 'nor does their progress page');
      const coupleID = (await apiFromPage(b, 'GET', '/me')).body.memberships[0].couple_id;
      const list = await apiFromPage(b, 'GET', `/couples/${coupleID}/checkins`);
      assert.ok(!JSON.stringify(list.body).includes(secret), 'nor the API behind it');

      await checkin.getByLabel('You, your therapist and your partner').check();
      await checkin.getByRole('button', { name: 'Save check-in' }).click();
      await checkin.getByText("Today's check-in is saved. You, your therapist and your partner can see this.").waitFor({ timeout });

      await b.goto('/');
      const shared = b.getByRole('region', { name: /^Shared with you by/ });
      await shared.getByText(secret).waitFor({ timeout });
      await screenshots(b, 'partner-home-shared');
    });
  });

  it("autosaves an exercise answer, keeps it 'Only you' from the other partner, then shares it", async () => {
    const secret = `private-answer-${randomBytes(6).toString('hex')}`;
    // The therapist gives both partners a fresh exercise through the API, as the couple page does.
    let assignmentID;
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, therapistEmail, password);
      const couples = (await apiFromPage(page, 'GET', '/practices/1/couples')).body.couples;
      const couple = couples.find((c) => c.label === 'Rivera & Chen');
      const exercises = (await apiFromPage(page, 'GET', '/practices/1/exercises')).body.exercises;
      const exercise = exercises.find((e) => e.key === 'open_communication') ?? exercises.find((e) => e.built_in);
      const made = await apiFromPage(page, 'POST', `/couples/${couple.id}/assignments`, { exercise_id: exercise.id, for: 'both' });
      assert.equal(made.status, 201);
      const sam = couple.partners.find((p) => p.seat === 'a');
      assignmentID = made.body.assignments.find((x) => x.assignee_id === sam.user_id).id;
    });

    await withPages(browser, baseURL, 2, async (author, reader) => {
      const a = author.page;
      await signIn(a, baseURL, partnerEmail, password);
      await a.goto(`/assignments/${assignmentID}`);
      await a.getByRole('group', { name: 'Who will see your answer' }).waitFor({ timeout });
      await a.getByLabel('Only you').check();
      await a.getByText('Saved. Only you can see this.').waitFor({ timeout });
      const firstText = a.locator('form textarea, form input[type="text"]').first();
      await firstText.fill(secret);
      await a.getByText('Changes not saved yet').waitFor({ timeout });
      await a.getByText(/^Saved at /).waitFor({ timeout });
      await screenshots(a, 'partner-exercise');

      const b = reader.page;
      await signIn(b, baseURL, partnerBEmail, password);
      await b.getByRole('region', { name: /^Shared with you by/ }).waitFor({ timeout });
      assert.ok(!(await everythingVisible(b)).includes(secret));
      await b.goto(`/assignments/${assignmentID}`);
      await b.getByRole('heading', { level: 1 }).first().waitFor({ timeout });
      assert.ok(!(await everythingVisible(b)).includes(secret), 'opening the exercise by its address shows nothing either');
      const answer = await apiFromPage(b, 'GET', `/assignments/${assignmentID}/response`);
      assert.equal(answer.status, 404);

      await a.getByLabel('You, your therapist and your partner').check();
      await a.getByText('Saved. You, your therapist and your partner can see this.').waitFor({ timeout });
      await b.goto(`/assignments/${assignmentID}`);
      await b.getByText(secret).waitFor({ timeout });
      await screenshots(b, 'partner-reads-shared-answer');
    });
  });

  it('marks an answer kept to oneself as done: nothing waits for review, for the partner or the therapist', async () => {
    let coupleID;
    let assignmentID;
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, therapistEmail, password);
      const couple = (await apiFromPage(page, 'GET', '/practices/1/couples')).body.couples.find((c) => c.label === 'Rivera & Chen');
      coupleID = couple.id;
      const exercise = (await apiFromPage(page, 'GET', '/practices/1/exercises')).body.exercises.find((e) => e.key === 'open_communication');
      const sam = couple.partners.find((p) => p.seat === 'a');
      const made = await apiFromPage(page, 'POST', `/couples/${couple.id}/assignments`, { exercise_id: exercise.id, for: 'a' });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      assignmentID = made.body.assignments[0].id;
    });
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, partnerEmail, password);
      const draft = await apiFromPage(page, 'PUT', `/assignments/${assignmentID}/draft`, {
        answers: { questions: ['What did you need that winter?'], how_it_felt: 'Lonely.' },
      });
      assert.equal(draft.status, 200, JSON.stringify(draft.body));
      await page.goto(`/assignments/${assignmentID}`);
      await page.getByRole('group', { name: 'Who will see your answer' }).getByLabel('Only you').check();
      await page.getByText('Saved. Only you can see this.').waitFor({ timeout });
      await page.getByText(/Marking it done keeps it for you alone/).waitFor({ timeout });
      await page.getByRole('button', { name: 'Mark as done' }).click();
      await page.getByText('Marked as done. It stays for you alone.').waitFor({ timeout });
      // This answer is done for Sam alone; other answers Sam handed in may rightly wait for review.
      const entry = page.locator('li', { has: page.locator(`a[href="/assignments/${assignmentID}"]`) });
      await entry.getByText('Done, kept private').waitFor({ timeout });
      assert.equal(await entry.getByText(/waiting for review/i).count(), 0);
      await screenshots(page, 'partner-exercise-done-private');
    });
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, therapistEmail, password);
      const listed = (await apiFromPage(page, 'GET', `/couples/${coupleID}/assignments`)).body.assignments;
      assert.equal(listed.find((a) => a.id === assignmentID).status, 'done_private');
      await page.goto(`/assignments/${assignmentID}`);
      await page.getByText('Done, kept private').first().waitFor({ timeout });
      assert.equal(await page.getByText('Lonely.').count(), 0, 'the therapist sees that it is done, not what was written');
    });
  });

  it("shows after a reload what was recorded for a commitment this period, and says so when it changes", async () => {
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, partnerEmail, password);
      const card = page.getByRole('region', { name: 'Commitments' });
      const toConfirm = card.locator('li', { has: page.getByRole('button', { name: /^(Kept|Missed|Change to)/ }) }).first();
      await toConfirm.waitFor({ timeout });
      await toConfirm.getByRole('button', { name: /^(Kept|Change to kept)/ }).click();
      await toConfirm.getByText(/recorded as kept|Recorded as kept/).first().waitFor({ timeout });
      await page.reload();
      await toConfirm.getByText(/^You recorded (today|this week) as kept\.$/).waitFor({ timeout });
      assert.equal(await toConfirm.getByRole('button', { name: /^Kept/ }).getAttribute('aria-pressed'), 'true');
      await toConfirm.getByRole('button', { name: /^Change to missed/ }).click();
      await toConfirm.getByText(/^Changed: (today|this week) is now recorded as missed\.$/).waitFor({ timeout });
      await screenshots(page, 'partner-commitment-changed');
    });
  });

  it('answers the CSI-4 questionnaire and reads the score and what it means', async () => {
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, partnerEmail, password);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Progress' }).click();
      const form = page.getByRole('region', { name: 'Couples Satisfaction Index (CSI-4)' });
      const happiness = form.getByRole('group', { name: /degree of happiness, all things considered/ });
      await happiness.waitFor({ timeout });
      await happiness.getByLabel('Happy', { exact: true }).check();
      await form.getByRole('group', { name: /warm and comfortable/ }).getByLabel('Mostly True').check();
      await form.getByRole('group', { name: /How rewarding/ }).getByLabel('Somewhat').check();
      await form.getByRole('button', { name: 'Send my answers' }).click();
      assert.match(await form.getByRole('alert').innerText(), /Question 4 is not answered yet/);
      await form.getByRole('group', { name: /how satisfied/ }).getByLabel('Mostly').check();
      await form.getByRole('group', { name: 'Who will see your answers' }).getByLabel('Only you').check();
      await screenshots(page, 'partner-questionnaire');
      await form.getByRole('button', { name: 'Send my answers' }).click();
      // Happy (3) + Mostly True (3) + Somewhat (2) + Mostly (3) = 11, below the cut-off of 13.5.
      await form.getByText('Your score: 11 out of 21').waitFor({ timeout });
      await form.getByText(/A total below 13\.5 suggests notable dissatisfaction/).waitFor({ timeout });
      await form.getByText(/Only you can see this\./).waitFor({ timeout });
      await screenshots(page, 'partner-questionnaire-score');

      // Answered again the same day, the charts still load for everyone: one point for the day,
      // the last score, drawn against the labelled cut-off.
      await form.getByRole('button', { name: 'Answer it again' }).click();
      await form.getByRole('group', { name: /degree of happiness, all things considered/ }).getByLabel('Happy', { exact: true }).check();
      await form.getByRole('group', { name: /warm and comfortable/ }).getByLabel('Mostly True').check();
      await form.getByRole('group', { name: /How rewarding/ }).getByLabel('Somewhat').check();
      await form.getByRole('group', { name: /how satisfied/ }).getByLabel('Almost Completely', { exact: true }).check();
      await form.getByRole('button', { name: 'Send my answers' }).click();
      await form.getByText('Your score: 12 out of 21').waitFor({ timeout });
      const chart = page.getByRole('figure', { name: /Couples Satisfaction Index/ });
      await chart.waitFor({ timeout });
      await chart.getByText('Distress cut-off (13.5, dashed line)').waitFor({ timeout });
      assert.match(await chart.getByRole('img').getAttribute('aria-label'), /Distress cut-off at 13\.5\./);
      const ticks = await chart.locator('svg[role="img"] text.axis').allTextContents();
      assert.deepEqual(ticks.slice(0, 5), ['0', '5', '10', '15', '20'], 'the scale is marked at round values');
      await chart.getByText('Show the numbers as a table').click();
      const days = await chart.locator('tbody th[scope="row"]').allTextContents();
      assert.equal(new Set(days).size, days.length, 'one row a day');
      assert.match(await chart.locator('tbody tr').last().innerText(), /\b12\b/, "today's row shows the last score");
      await screenshots(page, 'partner-progress-csi');
    });
  });

  it('shows progress charts with a table alternative', async () => {
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, partnerEmail, password);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Progress' }).click();
      await page.getByRole('heading', { level: 1, name: 'How things are going' }).waitFor({ timeout });
      const safety = page.getByRole('figure', { name: /Safety/ });
      await safety.waitFor({ timeout });
      await safety.getByText('Show the numbers as a table').click();
      assert.ok((await safety.locator('tbody tr').count()) > 0);
      await screenshots(page, 'partner-progress');
      // Weeks not yet begun are not plotted as data.
      const completed = page.getByRole('figure', { name: /Exercises completed/ });
      const weeks = await completed.locator('tbody th[scope="row"]').allTextContents();
      const latest = weeks.map((day) => Date.parse(day)).filter((time) => !Number.isNaN(time));
      assert.ok(latest.every((time) => time <= Date.now()), `no week in the future: ${weeks.join(', ')}`);
      // On a phone the scale of the check-in reads as one row, or two rows of six.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Today' }).click();
      const trust = page.getByRole('group', { name: /trust your partner/ });
      await trust.waitFor({ timeout });
      for (const [viewport, rows] of [[desktop, [11]], [phone, [6, 5]]]) {
        await page.setViewportSize(viewport);
        const tops = await trust.locator('label.option').evaluateAll((labels) => labels.map((l) => Math.round(l.getBoundingClientRect().top)));
        const perRow = [...new Set(tops)].map((top) => tops.filter((t) => t === top).length);
        assert.deepEqual(perRow, rows, `the 0–10 scale at ${viewport.width}px`);
      }
      // The check-in starts on a phone's first screen, under the header and the greeting.
      const checkinTop = await page.getByRole('region', { name: "Today's check-in" }).evaluate((el) => el.getBoundingClientRect().top);
      assert.ok(checkinTop < phone.height / 2, `the check-in starts ${checkinTop}px down a ${phone.height}px screen`);
      await page.setViewportSize(desktop);
    });
  });
});
