import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { testMembership, testUser } from '../../lib/fakeServer';
import { render, screen, within } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import Security from './Security.svelte';
import type { SecondFactorStatus } from '../../lib/api';
import { session } from '../../lib/session.svelte';

function jsonResponse(status: number, body: unknown): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

const off: SecondFactorStatus = { enabled: false, recovery_codes_left: 0, required: true };
const on: SecondFactorStatus = { enabled: true, confirmed_at: '2030-01-01T00:00:00Z', recovery_codes_left: 10, required: true };
const recoveryCodes = Array.from({ length: 10 }, (_, i) => `abcd${i}-efgh${i}`);

/** Stubs fetch with one answer per "METHOD path"; anything else fails the test. */
function stubServer(answers: Record<string, () => Response>) {
  const fetch = vi.fn<typeof globalThis.fetch>(async (input, init) => {
    const key = `${init?.method ?? 'GET'} ${String(input).replace('/api/v1', '')}`;
    const answer = answers[key];
    if (!answer) throw new Error(`unexpected request ${key}`);
    return answer();
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

beforeEach(() => {
  session.me = {
    user: testUser({ id: 3, email: 'maya@example.org', name: 'Maya' }),
    memberships: [testMembership({ practice_id: 1, practice_name: 'Harbor', role: 'therapist' })],
    must_enrol_second_factor: true,
  };
  session.status = 'signed_in';
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('Sign-in security screen', () => {
  it('sets up a second factor for a therapist whose practice requires one, and shows the recovery codes once', async () => {
    let status = off;
    const fetch = stubServer({
      'GET /me/second-factor': () => jsonResponse(200, status),
      'POST /me/second-factor': () =>
        jsonResponse(201, { secret: 'JBSWY3DPEHPK3PXP', otpauth_url: 'otpauth://totp/Amend:maya', qr_code: 'data:image/png;base64,AA==' }),
      'POST /me/second-factor/confirm': () => {
        status = on;
        return jsonResponse(200, { recovery_codes: recoveryCodes });
      },
    });
    const user = userEvent.setup();
    render(Security, { practiceID: 1, isAdmin: false });

    expect(await screen.findByText(/Your practice requires a second factor\./)).toBeInTheDocument();
    await user.click(await screen.findByRole('button', { name: 'Set up a second factor' }));
    expect(await screen.findByRole('img', { name: 'QR code for your authenticator app' })).toHaveAttribute(
      'src',
      'data:image/png;base64,AA==',
    );
    expect(screen.getByLabelText('Setup key')).toHaveTextContent('JBSWY3DPEHPK3PXP');
    await user.type(screen.getByLabelText('Code from your app'), '123456');
    await user.click(screen.getByRole('button', { name: 'Turn on' }));

    const list = await screen.findByRole('list', { name: 'Recovery codes' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(10);
    expect(screen.getByText(/Second factor: on\./)).toBeInTheDocument();
    expect(session.me?.must_enrol_second_factor).toBe(false);
    expect(JSON.parse(String(fetch.mock.calls.find(([url]) => String(url).endsWith('/confirm'))?.[1]?.body))).toEqual({
      code: '123456',
    });
  });

  it('turns the factor off with the password, and lets an administrator require it for staff', async () => {
    session.me = { ...session.me!, must_enrol_second_factor: false };
    let status = on;
    const fetch = stubServer({
      'GET /me/second-factor': () => jsonResponse(200, status),
      'GET /practices/1/security-settings': () => jsonResponse(200, { require_second_factor: false }),
      'PUT /practices/1/security-settings': () => jsonResponse(200, { require_second_factor: true }),
      'POST /me/second-factor/disable': () => {
        status = off;
        return jsonResponse(204, null);
      },
    });
    const user = userEvent.setup();
    render(Security, { practiceID: 1, isAdmin: true });

    await user.click(await screen.findByRole('radio', { name: 'your password' }));
    await user.type(screen.getByLabelText('Password'), 'a long password');
    await user.click(screen.getByRole('button', { name: 'Turn off' }));
    expect(await screen.findByText('Your second factor is off.')).toBeInTheDocument();
    expect(JSON.parse(String(fetch.mock.calls.find(([url]) => String(url).endsWith('/disable'))?.[1]?.body))).toEqual({
      password: 'a long password',
    });

    const requirement = screen.getByRole('checkbox', { name: 'Require a second factor for administrators, therapists and the front desk' });
    expect(requirement).not.toBeChecked();
    await user.click(requirement);
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText(/now need a second factor/)).toBeInTheDocument();
  });
});
