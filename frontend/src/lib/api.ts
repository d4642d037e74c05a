// The typed client for Amend's HTTP API (base /api/v1). Every call goes through `request`,
// which sends the session cookie, speaks JSON and turns the server's
// {"error":{"code","message"}} answers into an ApiError carrying the plain-words message.

export type Role = 'admin' | 'therapist' | 'client';

export interface User {
  id: number;
  email: string;
  name: string;
}

export interface Membership {
  practice_id: number;
  practice_name: string;
  role: Role;
  couple_id?: number;
}

/** Who is signed in and where: the answer of GET /me. */
export interface Me {
  user: User;
  memberships: Membership[];
}

/** The answer of a sign-in (login or accepted invite). The cookie carries the session. */
export interface SignedIn extends Me {
  token: string;
  expires_at: string;
}

/** What an invitation is for, shown before it is accepted. */
export interface InviteInfo {
  email: string;
  role: Role;
  practice_name: string;
  expires_at: string;
  /** The email already has an Amend account: accepting asks for its password instead of a new one. */
  has_account: boolean;
}

/** Error codes the server documents, plus the two the client makes itself. */
export type ErrorCode =
  | 'invalid_credentials'
  | 'rate_limited'
  | 'unauthenticated'
  | 'not_found'
  | 'invalid'
  | 'forbidden'
  | 'conflict'
  | 'network'
  | 'server'
  | (string & {});

/** A request that did not succeed, with a message fit to show to the person using the app. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  /** Seconds to wait before trying again, from a 429 answer's Retry-After header. */
  readonly retryAfterSeconds?: number;

  constructor(status: number, code: ErrorCode, message: string, retryAfterSeconds?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export const API_BASE = '/api/v1';

const fallbackMessages: Record<string, string> = {
  invalid_credentials: 'That email and password do not match an account.',
  rate_limited: 'Too many attempts. Please wait a little and try again.',
  unauthenticated: 'Please sign in to continue.',
  not_found: 'We could not find what you asked for.',
  invalid: 'Some of the details are not right. Please check them and try again.',
  forbidden: 'You do not have permission to do that.',
  network: 'We could not reach Amend. Check your connection and try again.',
  server: 'Something went wrong on our side. Please try again in a moment.',
};

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return 'unauthenticated';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 422:
      return 'invalid';
    case 429:
      return 'rate_limited';
    default:
      return status >= 500 ? 'server' : 'invalid';
  }
}

function parseRetryAfter(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

async function errorFrom(response: Response): Promise<ApiError> {
  let code: ErrorCode = codeForStatus(response.status);
  let message = '';
  try {
    const body: unknown = await response.json();
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (typeof error?.code === 'string' && error.code !== '') code = error.code;
    if (typeof error?.message === 'string') message = error.message.trim();
  } catch {
    // Not JSON (a proxy's error page, say): the status alone decides.
  }
  // Server faults never show their own text: it may be technical and it never helps the reader.
  if (response.status >= 500) {
    code = 'server';
    message = '';
  }
  if (message === '') message = fallbackMessages[code] ?? fallbackMessages.server;
  return new ApiError(response.status, code, message, parseRetryAfter(response.headers.get('Retry-After')));
}

export interface ApiOptions {
  /** The fetch to use; defaults to the global one, looked up at call time. */
  fetch?: typeof fetch;
  /** Called when a request that needs a session answers 401: the session has ended. */
  onUnauthenticated?: (error: ApiError) => void;
}

interface RequestOptions {
  body?: unknown;
  /** False for the calls that sign in: their 401 means wrong details, not an ended session. */
  needsSession?: boolean;
}

export function createApi(options: ApiOptions = {}) {
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const init: RequestInit = { method, headers, credentials: 'same-origin' };
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }

    let response: Response;
    try {
      response = await doFetch(API_BASE + path, init);
    } catch {
      throw new ApiError(0, 'network', fallbackMessages.network);
    }

    if (!response.ok) {
      const error = await errorFrom(response);
      if (response.status === 401 && opts.needsSession !== false) options.onUnauthenticated?.(error);
      throw error;
    }
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  return {
    /** Signs in with email and password; the server sets the session cookie. */
    login(email: string, password: string): Promise<SignedIn> {
      return request('POST', '/auth/login', { body: { email, password }, needsSession: false });
    },

    /** Ends the session on the server and clears its cookie. */
    logout(): Promise<void> {
      return request('POST', '/auth/logout', { needsSession: false });
    },

    /** Who is signed in; fails with code "unauthenticated" when nobody is. */
    me(): Promise<Me> {
      return request('GET', '/me');
    },

    /** What an invitation is for; fails with code "not_found" for unknown, used or expired links. */
    invite(token: string): Promise<InviteInfo> {
      return request('GET', `/invites/${encodeURIComponent(token)}`, { needsSession: false });
    },

    /**
     * Accepts an invitation and signs the user in. A new account gets the password; an existing
     * account proves itself with its current one.
     */
    acceptInvite(token: string, name: string, password: string): Promise<SignedIn> {
      return request('POST', `/invites/${encodeURIComponent(token)}/accept`, {
        body: { name, password },
        needsSession: false,
      });
    },
  };
}

export type Api = ReturnType<typeof createApi>;
