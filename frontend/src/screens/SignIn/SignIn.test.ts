import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import SignIn from './SignIn.svelte';
import { session } from '../../lib/session.svelte';
import { router } from '../../lib/router.svelte';

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

beforeEach(() => {
  session.me = null;
  session.status = 'signed_out';
  session.endedByIdle = false;
  history.replaceState(null, '', '/sign-in');
  router.path = '/sign-in';
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('Sign in screen', () => {
  it('labels both fields and the button', () => {
    render(SignIn);

    expect(screen.getByRole('heading', { level: 1, name: 'Sign in' })).toBeInTheDocument();
    expect(screen.getByLabelText('Email address')).toHaveAttribute('type', 'email');
    expect(screen.getByLabelText('Password')).toHaveAttribute('autocomplete', 'current-password');
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeEnabled();
  });

  it("shows the server's plain message when the password is wrong, and keeps the user here", async () => {
    const fetch = vi.fn<typeof globalThis.fetch>().mockResolvedValue(
      jsonResponse(401, {
        error: { code: 'invalid_credentials', message: 'That email and password do not match an account.' },
      }),
    );
    vi.stubGlobal('fetch', fetch);
    const user = userEvent.setup();
    render(SignIn);

    await user.type(screen.getByLabelText('Email address'), 'sam@example.org');
    await user.type(screen.getByLabelText('Password'), 'not the password');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('We could not sign you in. That email and password do not match an account.');
    expect(router.path).toBe('/sign-in');
    expect(session.endedByIdle).toBe(false);
  });

  it('says how long to wait when there were too many attempts', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof globalThis.fetch>().mockResolvedValue(
        jsonResponse(429, { error: { code: 'rate_limited', message: 'Too many attempts.' } }, { 'Retry-After': '120' }),
      ),
    );
    const user = userEvent.setup();
    render(SignIn);

    await user.type(screen.getByLabelText('Email address'), 'sam@example.org');
    await user.type(screen.getByLabelText('Password'), 'guess{Enter}');

    expect(await screen.findByRole('alert')).toHaveTextContent('Too many attempts. You can try again in 2 minutes.');
  });

  it('asks for both details before sending anything', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>();
    vi.stubGlobal('fetch', fetch);
    const user = userEvent.setup();
    render(SignIn);

    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Enter your email address and your password.');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('goes home once signed in', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof globalThis.fetch>().mockResolvedValue(
        jsonResponse(200, {
          token: 't',
          expires_at: '2030-01-01T00:00:00Z',
          user: { id: 1, email: 'sam@example.org', name: 'Sam Rivera' },
          memberships: [{ practice_id: 1, practice_name: 'Harbor Counseling', role: 'therapist' }],
        }),
      ),
    );
    const user = userEvent.setup();
    render(SignIn);

    await user.type(screen.getByLabelText('Email address'), 'sam@example.org');
    await user.type(screen.getByLabelText('Password'), 'the right password{Enter}');

    await vi.waitFor(() => expect(router.path).toBe('/'));
    expect(session.me?.user.name).toBe('Sam Rivera');
  });

  it('explains an ended session', () => {
    session.endedByIdle = true;
    render(SignIn);

    expect(screen.getByRole('status')).toHaveTextContent('You were signed out after a period of inactivity');
  });

  it('asks for the code after a right password of an account with a second factor, then signs in', async () => {
    const fetch = vi
      .fn<typeof globalThis.fetch>()
      .mockResolvedValueOnce(jsonResponse(200, { second_factor_required: true, challenge: 'c'.repeat(43), expires_at: '' }))
      .mockResolvedValueOnce(
        jsonResponse(200, {
          token: 't',
          expires_at: '',
          user: { id: 1, email: 'maya@example.org', name: 'Maya' },
          memberships: [{ practice_id: 1, practice_name: 'P', role: 'therapist' }],
        }),
      );
    vi.stubGlobal('fetch', fetch);
    const user = userEvent.setup();
    render(SignIn);

    await user.type(screen.getByLabelText('Email address'), 'maya@example.org');
    await user.type(screen.getByLabelText('Password'), 'a long password');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    const codeField = await screen.findByLabelText('Code from your authenticator app');
    expect(codeField).toHaveAttribute('autocomplete', 'one-time-code');
    expect(session.status).toBe('signed_out');
    await user.type(codeField, '123456');
    await user.click(screen.getByRole('button', { name: 'Continue' }));

    await vi.waitFor(() => expect(session.status).toBe('signed_in'));
    expect(router.path).toBe('/');
    const [url, init] = fetch.mock.calls[1];
    expect(url).toBe('/api/v1/auth/login/second-factor');
    expect(JSON.parse(String(init?.body))).toEqual({ challenge: 'c'.repeat(43), code: '123456' });
  });

  it('takes a recovery code instead, and sends a wrong code back with a plain message', async () => {
    const fetch = vi
      .fn<typeof globalThis.fetch>()
      .mockResolvedValueOnce(jsonResponse(200, { second_factor_required: true, challenge: 'c'.repeat(43), expires_at: '' }))
      .mockResolvedValueOnce(
        jsonResponse(401, { error: { code: 'invalid_credentials', message: 'That code is not right, or was used already.' } }),
      );
    vi.stubGlobal('fetch', fetch);
    const user = userEvent.setup();
    render(SignIn);

    await user.type(screen.getByLabelText('Email address'), 'maya@example.org');
    await user.type(screen.getByLabelText('Password'), 'a long password');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    await user.click(await screen.findByRole('button', { name: 'Use a recovery code instead' }));
    await user.type(screen.getByLabelText('Recovery code'), 'abcde-fghij');
    await user.click(screen.getByRole('button', { name: 'Continue' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('That code is not right, or was used already.');
    expect(session.status).toBe('signed_out');
    expect(screen.getByLabelText('Recovery code')).toBeInTheDocument();
    expect(JSON.parse(String(fetch.mock.calls[1][1]?.body))).toEqual({ challenge: 'c'.repeat(43), recovery_code: 'abcde-fghij' });
  });
});
