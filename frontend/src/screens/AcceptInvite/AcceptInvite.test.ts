import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import AcceptInvite from './AcceptInvite.svelte';
import { session } from '../../lib/session.svelte';
import { router } from '../../lib/router.svelte';

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const newPartnerInvite = {
  email: 'ana@example.org',
  role: 'client',
  practice_name: 'Harbor Counseling',
  expires_at: '2030-01-01T00:00:00Z',
};

const signedInAna = {
  token: 't',
  expires_at: '2030-01-01T00:00:00Z',
  user: { id: 9, email: 'ana@example.org', name: 'Ana Silva' },
  memberships: [{ practice_id: 1, practice_name: 'Harbor Counseling', role: 'client', couple_id: 4 }],
};

/** Stubs fetch: the invite look-up answers `invite`, the accept call `accepted`, sign-in `signedIn`. */
function stubServer(invite: Response, accepted?: Response, signedIn?: Response) {
  const fetch = vi.fn<typeof globalThis.fetch>(async (input, init) => {
    if (init?.method === 'GET') return invite;
    if (String(input).endsWith('/auth/login') && signedIn) return signedIn;
    if (String(input).endsWith('/accept') && accepted) return accepted;
    throw new Error('the form should not have been sent');
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

async function fillIn(password: string, confirm: string) {
  const user = userEvent.setup();
  await user.type(await screen.findByLabelText('Your name'), 'Ana Silva');
  await user.type(screen.getByLabelText('Choose a password'), password);
  await user.type(screen.getByLabelText('Type the password again'), confirm);
  await user.click(screen.getByRole('button', { name: 'Create my account' }));
}

beforeEach(() => {
  session.me = null;
  session.status = 'signed_out';
  history.replaceState(null, '', '/invite/tok123');
  router.path = '/invite/tok123';
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('Accept invite screen', () => {
  it('says who is invited, where and as what', async () => {
    stubServer(jsonResponse(200, newPartnerInvite));
    render(AcceptInvite, { token: 'tok123' });

    expect(await screen.findByText(/has invited/)).toHaveTextContent(
      'Harbor Counseling has invited ana@example.org to join Amend as a partner.',
    );
  });

  it('explains a used or expired link at once, without asking for anything', async () => {
    stubServer(jsonResponse(404, { error: { code: 'not_found', message: 'Not valid any more.' } }));
    render(AcceptInvite, { token: 'tok123' });

    expect(await screen.findByRole('alert')).toHaveTextContent('This invitation link cannot be used.');
    expect(screen.getByRole('link', { name: 'Go to sign in' })).toHaveAttribute('href', '/sign-in');
    expect(screen.queryByLabelText('Your name')).not.toBeInTheDocument();
  });

  it('catches two different passwords before sending them', async () => {
    const fetch = stubServer(jsonResponse(200, newPartnerInvite));
    render(AcceptInvite, { token: 'tok123' });

    await fillIn('a long enough password', 'a long enough passwort');

    expect(await screen.findByRole('alert')).toHaveTextContent('The two passwords are not the same.');
    expect(screen.getByLabelText('Type the password again')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Type the password again')).toHaveAccessibleDescription(/The two passwords are not the same\./);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("shows the server's reason when a field is not accepted", async () => {
    stubServer(
      jsonResponse(200, newPartnerInvite),
      jsonResponse(422, { error: { code: 'invalid', message: 'The password must be at least 10 characters long.' } }),
    );
    render(AcceptInvite, { token: 'tok123' });

    await fillIn('short', 'short');

    expect(await screen.findByRole('alert')).toHaveTextContent('The password must be at least 10 characters long.');
  });

  it('offers both ways in without saying whether the email has an account', async () => {
    stubServer(jsonResponse(200, newPartnerInvite));
    render(AcceptInvite, { token: 'tok123' });

    expect(await screen.findByRole('heading', { name: 'New to Amend?' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Already have an Amend account with this email?' })).toBeInTheDocument();
    expect(screen.getByLabelText('Email address')).toHaveValue('ana@example.org');
    expect(screen.getByLabelText('Your Amend password')).toBeInTheDocument();
  });

  it('signs an existing account in the normal way, then joins as that account', async () => {
    const fetch = stubServer(jsonResponse(200, newPartnerInvite), jsonResponse(200, signedInAna), jsonResponse(200, signedInAna));
    const user = userEvent.setup();
    render(AcceptInvite, { token: 'tok123' });

    await user.type(await screen.findByLabelText('Your Amend password'), 'my existing password');
    await user.click(screen.getByRole('button', { name: 'Sign in and join' }));

    await vi.waitFor(() => expect(router.path).toBe('/'));
    expect(fetch.mock.calls[1][0]).toBe('/api/v1/auth/login');
    expect(JSON.parse(String(fetch.mock.calls[1][1]?.body))).toEqual({
      email: 'ana@example.org',
      password: 'my existing password',
    });
    expect(fetch.mock.calls[2][0]).toBe('/api/v1/invites/tok123/accept');
    expect(fetch.mock.calls[2][1]?.body).toBeUndefined();
  });

  it('tells a new account that the email is taken when the server says so', async () => {
    stubServer(
      jsonResponse(200, newPartnerInvite),
      jsonResponse(409, { error: { code: 'conflict', message: 'An account with this email exists already.' } }),
    );
    render(AcceptInvite, { token: 'tok123' });

    await fillIn('a long enough password', 'a long enough password');

    expect(await screen.findByRole('alert')).toHaveTextContent('An account with this email exists already.');
    expect(router.path).toBe('/invite/tok123');
  });

  it('lets the signed-in invitee join with one click, sending no password', async () => {
    session.me = { user: signedInAna.user, memberships: [] } as never;
    session.status = 'signed_in';
    const fetch = stubServer(jsonResponse(200, newPartnerInvite), jsonResponse(200, signedInAna));
    const user = userEvent.setup();
    render(AcceptInvite, { token: 'tok123' });

    await user.click(await screen.findByRole('button', { name: 'Join Harbor Counseling' }));

    await vi.waitFor(() => expect(router.path).toBe('/'));
    expect(fetch.mock.calls[1][1]?.body).toBeUndefined();
    expect(screen.queryByLabelText('Your Amend password')).not.toBeInTheDocument();
  });

  it('keeps a signed-in invitee to setting up a second factor when the practice joined requires one', async () => {
    session.me = { user: signedInAna.user, memberships: [], must_enrol_second_factor: false } as never;
    session.status = 'signed_in';
    const joined = { user: signedInAna.user, memberships: signedInAna.memberships, must_enrol_second_factor: true };
    stubServer(jsonResponse(200, newPartnerInvite), jsonResponse(200, joined));
    const user = userEvent.setup();
    render(AcceptInvite, { token: 'tok123' });

    await user.click(await screen.findByRole('button', { name: 'Join Harbor Counseling' }));

    await vi.waitFor(() => expect(router.path).toBe('/'));
    expect(session.me).toMatchObject({ must_enrol_second_factor: true });
  });

  it('does not offer to join as another signed-in account', async () => {
    session.me = { user: { id: 3, email: 'someone.else@example.org', name: 'Someone Else' }, memberships: [] } as never;
    session.status = 'signed_in';
    stubServer(jsonResponse(200, newPartnerInvite));
    render(AcceptInvite, { token: 'tok123' });

    await screen.findByRole('button', { name: 'Sign out' });
    expect(screen.getByRole('status')).toHaveTextContent(
      'This invitation is for ana@example.org, and you are signed in as someone.else@example.org.',
    );
    expect(screen.queryByRole('button', { name: /Join/ })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Sign out' })).toBeInTheDocument();
  });

  it('signs the new user in and leaves the one-time link behind', async () => {
    const fetch = stubServer(jsonResponse(200, newPartnerInvite), jsonResponse(200, signedInAna));
    render(AcceptInvite, { token: 'tok123' });

    await fillIn('a long enough password', 'a long enough password');

    await vi.waitFor(() => expect(router.path).toBe('/'));
    expect(location.pathname).toBe('/');
    expect(session.active?.role).toBe('client');
    expect(fetch.mock.calls[1][0]).toBe('/api/v1/invites/tok123/accept');
  });
});
