// A second factor in a real browser: a new therapist sets up TOTP on the sign-in security
// screen, then signs in with the password and a code. The codes are computed here, as an
// authenticator app would (RFC 6238 over node:crypto's HMAC-SHA1).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { apiFromPage, launch, screenshots, settings, signIn, signInWithKeyboard, withPage } from './harness.mjs';

const { baseURL, password, adminEmail } = settings();
const timeout = 15_000;

/** Decodes RFC 4648 base32 (no padding), as the setup key is shown. */
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const char of text.replace(/=+$/, '').toUpperCase()) {
    const index = alphabet.indexOf(char);
    assert.ok(index >= 0, `not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The six-digit TOTP code of secret at time at (30-second steps, HMAC-SHA1). */
function totp(secret, at = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const number = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(number).padStart(6, '0');
}

describe('a second factor', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('computes the codes of RFC 6238', () => {
    // RFC 6238 appendix B, SHA-1, the last six digits.
    // The key is the ASCII "12345678901234567890" in base32.
    const key = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    assert.equal(totp(key, 59_000), '287082');
    assert.equal(totp(key, 1_111_111_109_000), '081804');
  });

  it('is set up on the sign-in security screen and then asked for after the password', async () => {
    // A therapist of their own, so the demo accounts other tests sign in with keep their password-only sign-in.
    const email = `totp-${randomBytes(4).toString('hex')}@demo.amend.test`;
    let acceptURL = '';
    await withPage(browser, baseURL, async (page) => {
      await signIn(page, baseURL, adminEmail, password);
      const me = await apiFromPage(page, 'GET', '/me');
      const practiceID = me.body.memberships.find((m) => m.role === 'admin').practice_id;
      const invite = await apiFromPage(page, 'POST', `/practices/${practiceID}/invites`, { email, role: 'therapist' });
      assert.equal(invite.status, 201, JSON.stringify(invite.body));
      acceptURL = invite.body.accept_url;
    });

    let secret = '';
    await withPage(browser, baseURL, async (page) => {
      await page.goto('/sign-in');
      const token = acceptURL.split('/').pop();
      const accepted = await apiFromPage(page, 'POST', `/invites/${token}/accept`, { name: 'Robin Totp', password });
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));

      await page.goto('/security');
      await page.getByRole('heading', { level: 1, name: 'Sign-in security' }).waitFor({ timeout });
      await page.getByRole('button', { name: 'Set up a second factor' }).click();
      const qr = page.getByRole('img', { name: 'QR code for your authenticator app' });
      await qr.waitFor({ timeout });
      assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code is shown');
      secret = (await page.getByLabel('Setup key').innerText()).trim();
      await page.getByLabel('Code from your app').fill(totp(secret));
      await page.getByRole('button', { name: 'Turn on' }).click();
      const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
      await codes.first().waitFor({ timeout });
      assert.equal(await codes.count(), 10);
      assert.match(await page.getByRole('main').innerText(), /Second factor: on\./);
      await screenshots(page, 'second-factor-on');
    });

    await withPage(browser, baseURL, async (page) => {
      await signInWithKeyboard(page, email, password);
      const codeField = page.getByLabel('Code from your authenticator app');
      await codeField.waitFor({ timeout });
      assert.equal(new URL(page.url()).pathname, '/sign-in', 'no session before the code');
      await screenshots(page, 'sign-in-code-step');
      // The code of the next time step: the one enrolment used is never accepted again.
      await codeField.fill(totp(secret, Date.now() + 30_000));
      await page.keyboard.press('Enter');
      await page.waitForURL(`${baseURL}/`, { timeout });
      await page.getByRole('main').getByRole('heading', { level: 1 }).first().waitFor({ timeout });
      assert.ok((await page.getByRole('main').innerText()).includes(email));
    });
  });
});
