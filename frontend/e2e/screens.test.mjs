// The screens each role reaches from its navigation that no other browser test walks through,
// checked and saved like the others: so that every screen of every role is checked at 1280 and
// 360 px.
import { after, before, describe, it } from 'node:test';
import { launch, screenshots, settings, signIn, withPage } from './harness.mjs';

const { baseURL, password, accounts } = settings();
const timeout = 15_000;

/** The pages each role's navigation leads to that the other tests do not save, by file name. */
const pagesByRole = {
  admin: [
    ['/couples', 'Couples', 'admin-couples'],
    ['/mail', 'Mail', 'admin-mail'],
    ['/security', 'Sign-in security', 'admin-security'],
  ],
  therapist: [
    ['/no-such-page', 'We could not find that page', 'not-found'],
    ['/mail', 'Mail', 'therapist-mail'],
    ['/security', 'Sign-in security', 'therapist-security'],
  ],
  client: [['/mail', 'Mail', 'partner-mail']],
};

describe('screens reached from the navigation', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  for (const account of accounts) {
    it(`checks the ${account.label.toLowerCase()}'s remaining screens at both sizes`, async () => {
      await withPage(browser, baseURL, async (page) => {
        await signIn(page, baseURL, account.email, password);
        for (const [path, heading, name] of pagesByRole[account.role]) {
          await page.goto(path);
          await page.getByRole('heading', { level: 1, name: heading }).waitFor({ timeout });
          await screenshots(page, name);
        }
      });
    });
  }
});
