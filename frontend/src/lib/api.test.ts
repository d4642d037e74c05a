import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApi } from './api';

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

const signedIn = {
  token: 'opaque',
  expires_at: '2030-01-01T00:00:00Z',
  user: { id: 7, email: 'sam@example.org', name: 'Sam Rivera' },
  memberships: [{ practice_id: 1, practice_name: 'Harbor Counseling', role: 'therapist' }],
};

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('api client', () => {
  it('posts the sign-in as JSON with the session cookie and returns who signed in', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>().mockResolvedValue(jsonResponse(200, signedIn));
    const api = createApi({ fetch });

    const result = await api.login('sam@example.org', 'correct horse');

    expect('user' in result && result.user.name).toBe('Sam Rivera');
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('/api/v1/auth/login');
    expect(init?.method).toBe('POST');
    expect(init?.credentials).toBe('same-origin');
    expect(new Headers(init?.headers).get('Content-Type')).toBe('application/json');
    expect(JSON.parse(String(init?.body))).toEqual({ email: 'sam@example.org', password: 'correct horse' });
  });

  it("turns the server's error body into an ApiError with its code and plain message", async () => {
    const fetch = vi.fn<typeof globalThis.fetch>().mockResolvedValue(
      jsonResponse(401, { error: { code: 'invalid_credentials', message: 'The email or password is wrong.' } }),
    );
    const error = await failure(createApi({ fetch }).login('sam@example.org', 'nope'));

    expect(error.status).toBe(401);
    expect(error.code).toBe('invalid_credentials');
    expect(error.message).toBe('The email or password is wrong.');
  });

  it('reads how long to wait from Retry-After when rate limited', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>().mockResolvedValue(
      jsonResponse(429, { error: { code: 'rate_limited', message: 'Too many attempts.' } }, { 'Retry-After': '90' }),
    );
    const error = await failure(createApi({ fetch }).login('sam@example.org', 'guess'));

    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterSeconds).toBe(90);
  });

  it('names the field in a validation error from accepting an invite', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>().mockResolvedValue(
      jsonResponse(422, {
        error: { code: 'invalid', message: 'The password is too short: use at least 10 characters.' },
      }),
    );
    const error = await failure(createApi({ fetch }).acceptInvite('tok/en', 'Ana', 'short'));

    expect(error.code).toBe('invalid');
    expect(error.message).toContain('password');
    expect(fetch.mock.calls[0][0]).toBe('/api/v1/invites/tok%2Fen/accept');
  });

  it('never shows the text of a server fault, and copes with a body that is not JSON', async () => {
    const fetch = vi
      .fn<typeof globalThis.fetch>()
      .mockResolvedValueOnce(jsonResponse(500, { error: { code: 'internal', message: 'pq: relation "users" does not exist' } }))
      .mockResolvedValueOnce(new Response('<html>Bad gateway</html>', { status: 502 }));
    const api = createApi({ fetch });

    const fault = await failure(api.me());
    expect(fault.code).toBe('server');
    expect(fault.message).not.toContain('pq:');
    expect(fault.message).toMatch(/try again/i);

    const gateway = await failure(api.me());
    expect(gateway.code).toBe('server');
    expect(gateway.message).toMatch(/try again/i);
  });

  it('reports an unreachable server as a network error in plain words', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>().mockRejectedValue(new TypeError('Failed to fetch'));
    const error = await failure(createApi({ fetch }).me());

    expect(error.code).toBe('network');
    expect(error.status).toBe(0);
    expect(error.message).toMatch(/could not reach/i);
  });

  it('tells the session owner when a request needing a session answers 401', async () => {
    const onUnauthenticated = vi.fn();
    const fetch = vi
      .fn<typeof globalThis.fetch>()
      .mockResolvedValue(jsonResponse(401, { error: { code: 'unauthenticated', message: 'Please sign in.' } }));
    const error = await failure(createApi({ fetch, onUnauthenticated }).me());

    expect(error.code).toBe('unauthenticated');
    expect(onUnauthenticated).toHaveBeenCalledTimes(1);
    expect(onUnauthenticated.mock.calls[0][0]).toBe(error);
  });

  it('does not treat a wrong password as an ended session', async () => {
    const onUnauthenticated = vi.fn();
    const fetch = vi
      .fn<typeof globalThis.fetch>()
      .mockResolvedValue(jsonResponse(401, { error: { code: 'invalid_credentials', message: 'Wrong.' } }));
    await failure(createApi({ fetch, onUnauthenticated }).login('sam@example.org', 'nope'));

    expect(onUnauthenticated).not.toHaveBeenCalled();
  });

  it('accepts an empty 204 answer on sign-out', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>().mockResolvedValue(new Response(null, { status: 204 }));
    await expect(createApi({ fetch }).logout()).resolves.toBeUndefined();
    expect(fetch.mock.calls[0][1]?.method).toBe('POST');
  });
});
