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
});
