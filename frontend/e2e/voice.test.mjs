// A live session by voice in three browsers with fake microphones playing a steady tone: each
// page's getStats() shows audio arriving only from the floor holder and the chair, and after a
// floor change only from the new holder. The partner out of turn is told so, gently.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, screenshots, settings, signIn, withPages } from './harness.mjs';

const { baseURL, password, therapistEmail, partnerEmail, partnerBEmail } = settings();
const timeout = 20_000;
/** How long each getStats() comparison spans: far above the ~50 ms Chromium caches stats for. */
const statsWindowMs = 1_000;

/** A 440 Hz tone at half scale, 48 kHz 16-bit mono: loud, steady speech as the server judges it. */
function toneWav(path) {
  const rate = 48_000;
  const samples = rate * 2;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 0.5 * 32767), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([header, data]));
}

/**
 * Runs in each page before the app: the tone passes unprocessed (echo cancellation, noise
 * suppression and auto gain would squash it), and the page's peer connections are kept where
 * the test can ask them for their stats.
 */
function testHooks() {
  const devices = navigator.mediaDevices;
  const getUserMedia = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints = {}) => {
    if (constraints.audio) {
      const audio = typeof constraints.audio === 'object' ? constraints.audio : {};
      constraints = { ...constraints, audio: { ...audio, echoCancellation: false, noiseSuppression: false, autoGainControl: false } };
    }
    return getUserMedia(constraints);
  };
  const Native = window.RTCPeerConnection;
  window.__peers = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.__peers.push(this);
    }
  };
}

/**
 * Audio received on the page's current peer connection, by the role of its sender: the roles
 * come from the <audio> elements the app plays each forwarded stream in.
 */
async function inbound(page) {
  return page.evaluate(async () => {
    const roles = new Map();
    for (const element of document.querySelectorAll('audio[data-role]')) {
      for (const track of element.srcObject?.getAudioTracks() ?? []) roles.set(track.id, element.dataset.role);
    }
    const peer = window.__peers.filter((candidate) => candidate.connectionState === 'connected').at(-1);
    const received = {};
    if (peer) {
      (await peer.getStats()).forEach((report) => {
        const role = roles.get(report.trackIdentifier);
        if (report.type === 'inbound-rtp' && report.kind === 'audio' && role) {
          received[role] = { bytes: report.bytesReceived ?? 0, energy: report.totalAudioEnergy ?? 0 };
        }
      });
    }
    return { playing: [...new Set(roles.values())].sort(), received };
  });
}

/**
 * Waits until one stats window shows sound (bytes and audio energy growing) from every role in
 * heard and not one byte from any role in silent, each of them playing in an <audio> element.
 */
async function expectAudio(page, who, heard, silent) {
  const deadline = Date.now() + timeout;
  let last = await inbound(page);
  let seen = '';
  while (Date.now() < deadline) {
    await page.waitForTimeout(statsWindowMs);
    const now = await inbound(page);
    const grew = (role, field) => (now.received[role]?.[field] ?? 0) > (last.received[role]?.[field] ?? 0);
    const mapped = [...heard, ...silent].every((role) => now.playing.includes(role));
    if (mapped && heard.every((role) => grew(role, 'bytes') && grew(role, 'energy')) && !silent.some((role) => grew(role, 'bytes'))) return;
    seen = JSON.stringify({ before: last, after: now });
    last = now;
  }
  assert.fail(`${who}: expected sound from ${heard.join(', ')} and none from ${silent.join(', ')}; last window ${seen}`);
}

describe('live session by voice', {
  skip: !(therapistEmail && partnerEmail && partnerBEmail) && 'set AMEND_E2E_THERAPIST_EMAIL, AMEND_E2E_PARTNER_EMAIL and AMEND_E2E_PARTNER_B_EMAIL',
}, () => {
  let browser;
  let dir;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'amend-voice-'));
    const tone = join(dir, 'tone.wav');
    toneWav(tone);
    browser = await launch([
      '--allow-loopback-in-peer-connection',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${tone}`,
      '--autoplay-policy=no-user-gesture-required',
    ]);
  });
  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('forwards only the floor holder and the chair, and follows a floor change', async () => {
    await withPages(browser, baseURL, 3, async (chair, sam, alex) => {
      const t = chair.page;
      const a = sam.page;
      const b = alex.page;
      for (const page of [t, a, b]) await page.addInitScript(testHooks);

      // The therapist starts a session of turns; both partners join it.
      await signIn(t, baseURL, therapistEmail, password);
      await t.getByRole('region', { name: 'Your caseload' }).getByRole('link', { name: 'Rivera & Chen' }).click();
      await t.getByRole('link', { name: 'Start a live session' }).click();
      await t.getByRole('heading', { level: 1, name: 'Start a live session' }).waitFor({ timeout });
      await t.getByRole('button', { name: 'Start the session' }).click();
      await t.waitForURL(/\/live\/\d+$/, { timeout });
      const sessionID = Number(new URL(t.url()).pathname.split('/').pop());
      for (const [page, email] of [[a, partnerEmail], [b, partnerBEmail]]) {
        await signIn(page, baseURL, email, password);
        await page.locator(`a[href="/live/${sessionID}"]`).click();
        await page.getByRole('heading', { level: 1, name: 'Live session' }).waitFor({ timeout });
      }

      // Everyone joins by voice; nothing is recorded, and the page says so.
      for (const page of [t, a, b]) {
        await page.getByText('Audio is never recorded or stored, and nothing is transcribed.').waitFor({ timeout });
        await page.getByRole('button', { name: 'Join with microphone' }).click();
        await page.getByText('Your voice is connected.').waitFor({ timeout });
      }

      // The floor goes to Sam: Sam and the chair are heard, Alex is not.
      await t.getByRole('button', { name: /^Give the floor to Sam/ }).click();
      await a.getByText('You can be heard now').waitFor({ timeout });
      await b.getByText(/^You are not heard — Sam .*has the floor$/).waitFor({ timeout });
      await expectAudio(t, 'the therapist', ['a'], ['b']);
      await expectAudio(a, 'Sam', ['chair'], ['b']);
      await expectAudio(b, 'Alex', ['chair', 'a'], []);

      // Alex's tone goes on while Sam has the floor: a spoken interruption, shown to Alex gently
      // and counted on the chair's console.
      await b.getByText(/^Sam .*has the floor — you're next in the queue$/).waitFor({ timeout });
      await t.getByText(/Tried to speak out of turn/).waitFor({ timeout });
      await screenshots(b, 'voice-partner-not-heard');

      // Alex asks with one tap, and the chair passes the floor: now only Alex and the chair are heard.
      await b.getByRole('button', { name: 'Ask for the floor' }).click();
      await t.getByRole('button', { name: /^Give the floor to Alex/ }).click();
      await b.getByText('You can be heard now').waitFor({ timeout });
      await a.getByText(/^You are not heard — Alex .*has the floor$/).waitFor({ timeout });
      await expectAudio(t, 'the therapist', ['b'], ['a']);
      await expectAudio(b, 'Alex', ['chair'], ['a']);
      await expectAudio(a, 'Sam', ['chair', 'b'], []);
      await screenshots(t, 'voice-console');
    });
  });
});
