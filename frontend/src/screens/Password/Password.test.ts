import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import ForgotPassword from './ForgotPassword.svelte';
import ResetPassword from './ResetPassword.svelte';
import ChangePassword from './ChangePassword.svelte';
import { session } from '../../lib/session.svelte';

function jsonResponse(status: number, body?: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

function stubFetch(response: Response) {
  const fetch = vi.fn<typeof globalThis.fetch>().mockResolvedValue(response);
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

/** The JSON body of the fetch's first call. */
function sentBody(fetch: ReturnType<typeof stubFetch>): unknown {
  return JSON.parse(String(fetch.mock.calls[0][1]?.body));
}

beforeEach(() => {
  session.me = { user: { id: 7, email: 'sam@example.org', name: 'Sam Rivera' }, memberships: [] } as never;
  session.status = 'signed_in';
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('Forgot your password', () => {
  it("sends the address and shows the server's answer, which never says whether the account exists", async () => {
    const message = 'If an account uses this address, a link to choose a new password is on its way.';
    const fetch = stubFetch(jsonResponse(202, { message }));
    const user = userEvent.setup();
    render(ForgotPassword);

    await user.type(screen.getByLabelText('Email address'), ' sam@example.org ');
    await user.click(screen.getByRole('button', { name: 'Send me a link' }));

    expect(await screen.findByRole('status')).toHaveTextContent(message);
    expect(fetch.mock.calls[0][0]).toBe('/api/v1/auth/password-resets');
    expect(sentBody(fetch)).toEqual({ email: 'sam@example.org' });
  });
});

describe('Choose a new password', () => {
  it('asks for the same password twice before sending anything', async () => {
    const fetch = stubFetch(jsonResponse(204));
    const user = userEvent.setup();
    render(ResetPassword, { token: 'tok' });

    await user.type(screen.getByLabelText('New password'), 'a long passphrase');
    await user.type(screen.getByLabelText('New password again'), 'a different one');
    await user.click(screen.getByRole('button', { name: 'Set the new password' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('The two passwords are not the same.');
    expect(screen.getByLabelText('New password again')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('New password again')).toHaveAccessibleDescription(/The two passwords are not the same\./);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('offers a new link when this one no longer works', async () => {
    stubFetch(jsonResponse(404, { error: { code: 'not_found', message: 'This reset link does not work.' } }));
    const user = userEvent.setup();
    render(ResetPassword, { token: 'tok' });

    await user.type(screen.getByLabelText('New password'), 'a long passphrase');
    await user.type(screen.getByLabelText('New password again'), 'a long passphrase');
    await user.click(screen.getByRole('button', { name: 'Set the new password' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('This reset link does not work.');
    expect(screen.getByRole('link', { name: 'Ask for a new link' })).toHaveAttribute('href', '/forgot-password');
  });

  it('sets the password, forgets the signed-out session and sends the person to sign in', async () => {
    const fetch = stubFetch(jsonResponse(204));
    const user = userEvent.setup();
    render(ResetPassword, { token: 'tok/en' });

    await user.type(screen.getByLabelText('New password'), 'a long passphrase');
    await user.type(screen.getByLabelText('New password again'), 'a long passphrase');
    await user.click(screen.getByRole('button', { name: 'Set the new password' }));

    expect(await screen.findByRole('heading', { name: 'Your password is changed' })).toBeInTheDocument();
    expect(fetch.mock.calls[0][0]).toBe('/api/v1/auth/password-resets/tok%2Fen');
    expect(sentBody(fetch)).toEqual({ password: 'a long passphrase' });
    expect(session.status).toBe('signed_out');
    expect(screen.getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', '/sign-in');
  });
});

describe('Change your password', () => {
  async function change(current: string) {
    const user = userEvent.setup();
    render(ChangePassword);
    if (current) await user.type(screen.getByLabelText('Current password'), current);
    await user.type(screen.getByLabelText('New password'), 'a long passphrase');
    await user.type(screen.getByLabelText('New password again'), 'a long passphrase');
    await user.click(screen.getByRole('button', { name: 'Change password' }));
  }

  it('needs the current password', async () => {
    const fetch = stubFetch(jsonResponse(204));
    await change('');

    expect(await screen.findByRole('alert')).toHaveTextContent('Enter your current password.');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('says when the current password is wrong, and keeps the person signed in', async () => {
    stubFetch(jsonResponse(401, { error: { code: 'invalid_credentials', message: 'That email and password do not match.' } }));
    await change('not it');

    expect(await screen.findByRole('alert')).toHaveTextContent('Your current password is not right.');
    expect(session.status).toBe('signed_in');
  });

  it('changes the password and says the other devices are signed out', async () => {
    const fetch = stubFetch(jsonResponse(204));
    await change('the current one');

    expect(await screen.findByRole('status')).toHaveTextContent('Your password is changed. Every other device is signed out.');
    expect(fetch.mock.calls[0][0]).toBe('/api/v1/me/password');
    expect(sentBody(fetch)).toEqual({ current_password: 'the current one', password: 'a long passphrase' });
    expect(session.status).toBe('signed_in');
  });
});

describe('Password fields are one shape on every screen', () => {
  it('points at the new password the server refused, beside it, on the change screen', async () => {
    stubFetch(jsonResponse(422, { error: { code: 'invalid', message: 'Password must be at least 10 characters.', field: 'password' } }));
    const user = userEvent.setup();
    render(ChangePassword);

    await user.type(screen.getByLabelText('Current password'), 'the old one');
    await user.type(screen.getByLabelText('New password'), 'short');
    await user.type(screen.getByLabelText('New password again'), 'short');
    await user.click(screen.getByRole('button', { name: 'Change password' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Password must be at least 10 characters.');
    expect(screen.getByLabelText('New password')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('New password')).toHaveAccessibleDescription(/Password must be at least 10 characters\./);
  });
});
