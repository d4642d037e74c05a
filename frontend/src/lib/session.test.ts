import { describe, expect, it } from 'vitest';
import { Session } from './session.svelte';

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const me = {
  user: { id: 3, email: 'lee@example.org', name: 'Lee Park' },
  memberships: [
    { practice_id: 1, practice_name: 'Harbor Counseling', role: 'admin' },
    { practice_id: 2, practice_name: 'Northside Therapy', role: 'therapist' },
  ],
};
const unauthenticated = { error: { code: 'unauthenticated', message: 'Please sign in.' } };

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

/** A fetch that answers each call with the next response in the list. */
function answers(...responses: Response[]): typeof fetch {
  return async () => {
    const next = responses.shift();
    if (!next) throw new Error('no more answers');
    return next;
  };
}

describe('session', () => {
  it('says the session ended for inactivity when a request answers 401 after signing in', async () => {
    const session = new Session({
      storage: memoryStorage(),
      fetch: answers(jsonResponse(200, { token: 't', expires_at: '', ...me }), jsonResponse(401, unauthenticated)),
    });
    await session.signIn('lee@example.org', 'a long password');
    expect(session.status).toBe('signed_in');

    await expect(session.api.me()).rejects.toThrow();

    expect(session.status).toBe('signed_out');
    expect(session.me).toBeNull();
    expect(session.endedByIdle).toBe(true);
  });

  it('says nothing about inactivity to a first-time visitor', async () => {
    const session = new Session({ storage: memoryStorage(), fetch: answers(jsonResponse(401, unauthenticated)) });
    await session.load();

    expect(session.status).toBe('signed_out');
    expect(session.endedByIdle).toBe(false);
  });

  it('remembers across a page load that someone was signed in, without keeping who', async () => {
    const storage = memoryStorage();
    const before = new Session({ storage, fetch: answers(jsonResponse(200, me)) });
    await before.load();
    expect(before.status).toBe('signed_in');

    const afterReload = new Session({ storage, fetch: answers(jsonResponse(401, unauthenticated)) });
    await afterReload.load();
    expect(afterReload.endedByIdle).toBe(true);
  });

  it('does not claim inactivity after signing out on purpose', async () => {
    const storage = memoryStorage();
    const session = new Session({
      storage,
      fetch: answers(jsonResponse(200, me), new Response(null, { status: 204 }), jsonResponse(401, unauthenticated)),
    });
    await session.load();
    expect(await session.signOut()).toBe(true);
    await session.load();

    expect(session.endedByIdle).toBe(false);
  });

  it('keeps no token in memory and switches between memberships', async () => {
    const session = new Session({
      storage: memoryStorage(),
      fetch: answers(jsonResponse(200, { token: 'secret-token', expires_at: '', ...me })),
    });
    await session.signIn('lee@example.org', 'a long password');

    expect(JSON.stringify(session.me)).not.toContain('secret-token');
    expect(session.active?.role).toBe('admin');
    session.choose(1);
    expect(session.active?.practice_name).toBe('Northside Therapy');
    session.choose(5);
    expect(session.active?.practice_name).toBe('Northside Therapy');
  });

  it('reports an unreachable server instead of showing the sign-in screen', async () => {
    const session = new Session({
      storage: memoryStorage(),
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    await session.load();

    expect(session.status).toBe('unreachable');
  });
});
