// A stand-in for the HTTP API in component tests: answers are looked up by "METHOD /path"
// (path after /api/v1, query included), and every request is recorded with its JSON body.
import { vi } from 'vitest';
import type { Membership, User } from './api';

export interface Sent {
  method: string;
  path: string;
  body: unknown;
}

/** An answer: a status and JSON body, or a function of the request's body giving one. */
export type Reply = [number, unknown] | ((body: unknown) => [number, unknown]);

export function fakeServer(routes: Record<string, Reply>) {
  const sent: Sent[] = [];
  const fetch = vi.fn<typeof globalThis.fetch>(async (input, init) => {
    const method = init?.method ?? 'GET';
    const path = String(input).replace(/^\/api\/v1/, '');
    const body: unknown = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    sent.push({ method, path, body });
    const reply = routes[`${method} ${path}`];
    if (!reply) throw new Error(`no answer for ${method} ${path}`);
    const [status, answer] = typeof reply === 'function' ? reply(body) : reply;
    if (status === 204) return new Response(null, { status });
    return new Response(JSON.stringify(answer), { status, headers: { 'Content-Type': 'application/json' } });
  });
  vi.stubGlobal('fetch', fetch);
  return {
    sent,
    /** The bodies sent with one method to one path, in order. */
    bodies(method: string, path: string): unknown[] {
      return sent.filter((s) => s.method === method && s.path === path).map((s) => s.body);
    },
  };
}

/** The server's answer to a refused input, naming the field at fault. */
export function invalid(message: string, field?: string): [number, unknown] {
  return [422, { error: { code: 'invalid', message, field } }];
}

/** A user as the API answers one, with the fields a test does not look at filled in. */
export function testUser(user: Pick<User, 'id' | 'email' | 'name'>): User {
  return { created_at: '', ...user };
}

/** A membership as the API answers one, with the fields a test does not look at filled in. */
export function testMembership(membership: Omit<Membership, 'id' | 'user_id' | 'created_at'>): Membership {
  return { id: 0, user_id: 0, created_at: '', ...membership };
}
