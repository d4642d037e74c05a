// The signed-in state of the app. The session itself lives in an HttpOnly cookie the script
// never sees; this store only knows who the server says is signed in, and remembers in
// sessionStorage (a bare flag, nothing personal) that someone was, so that an ended session
// can be told apart from a first visit.
import {
  ApiError,
  createApi,
  type Api,
  type Me,
  type Membership,
  type SecondFactorProof,
  type SecondStep,
  type SignedIn,
} from './api';

export type SessionStatus = 'loading' | 'signed_out' | 'signed_in' | 'unreachable';

type FlagStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

const SIGNED_IN_FLAG = 'amend.was-signed-in';

function defaultStorage(): FlagStorage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // storage can be switched off by the browser; the flag is only a nicety
  }
}

export interface SessionOptions {
  fetch?: typeof fetch;
  storage?: FlagStorage | null;
}

export class Session {
  status = $state<SessionStatus>('loading');
  me = $state<Me | null>(null);
  /** Which of the user's memberships the app is showing. */
  activeIndex = $state(0);
  /** True when the server ended the session for inactivity; the sign-in screen says so. */
  endedByIdle = $state(false);
  active = $derived<Membership | null>(this.me?.memberships[this.activeIndex] ?? null);

  readonly api: Api;
  readonly #storage: FlagStorage | null;

  constructor(options: SessionOptions = {}) {
    this.#storage = options.storage === undefined ? defaultStorage() : options.storage;
    this.api = createApi({ fetch: options.fetch, onUnauthenticated: () => this.#ended() });
  }

  /** Asks the server who is signed in; run once when the app starts. */
  async load(): Promise<void> {
    this.status = 'loading';
    try {
      this.#signedIn(await this.api.me());
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.status = 'signed_out';
      } else {
        this.status = 'unreachable';
      }
    }
  }

  /**
   * Signs in with a password. For an account with a second factor nobody is signed in yet: the
   * answer is the code step, to be finished with finishSignIn.
   */
  async signIn(email: string, password: string): Promise<SecondStep | null> {
    const answer = await this.api.login(email, password);
    if ('second_factor_required' in answer) return answer;
    this.#signedIn(answer);
    return null;
  }

  /** Finishes a sign-in with the code from the authenticator app or a recovery code. */
  async finishSignIn(step: SecondStep, proof: SecondFactorProof): Promise<void> {
    this.#signedIn(await this.api.loginSecondStep(step.challenge, proof));
  }

  /** The second factor was set up: the session is no longer limited to setting one up. */
  enrolled(): void {
    if (this.me) this.me = { ...this.me, must_enrol_second_factor: false };
  }

  async acceptInvite(token: string, name: string, password: string): Promise<void> {
    this.#signedIn(await this.api.acceptInvite(token, name, password));
  }

  /** Joins the practice an invitation is for, as the signed-in account. */
  async joinByInvite(token: string): Promise<void> {
    this.#signedIn(await this.api.joinByInvite(token));
  }

  /**
   * Ends the session on the server and forgets it here. Resolves to false when the server
   * could not be told, so the screen can say the cookie may still be live.
   */
  async signOut(): Promise<boolean> {
    let confirmed = true;
    try {
      await this.api.logout();
    } catch (error) {
      confirmed = error instanceof ApiError && error.status === 401;
    }
    this.#forget();
    this.endedByIdle = false;
    return confirmed;
  }

  /** Sets a new password through a reset link; the server signs out every device, this one too. */
  async resetPassword(token: string, password: string): Promise<void> {
    await this.api.resetPassword(token, password);
    this.#forget();
    this.endedByIdle = false;
  }

  choose(index: number): void {
    if (this.me && index >= 0 && index < this.me.memberships.length) this.activeIndex = index;
  }

  #signedIn(me: Me | SignedIn): void {
    // Keep only who and where: the token also travels in the cookie and is never kept in script.
    this.me = { user: me.user, memberships: me.memberships, must_enrol_second_factor: me.must_enrol_second_factor };
    this.activeIndex = 0;
    this.status = 'signed_in';
    this.endedByIdle = false;
    this.#storage?.setItem(SIGNED_IN_FLAG, '1');
  }

  #ended(): void {
    const wasSignedIn = this.status === 'signed_in' || this.#storage?.getItem(SIGNED_IN_FLAG) === '1';
    this.#forget();
    if (wasSignedIn) this.endedByIdle = true;
  }

  #forget(): void {
    this.me = null;
    this.activeIndex = 0;
    this.status = 'signed_out';
    this.#storage?.removeItem(SIGNED_IN_FLAG);
  }
}

/** The app's one session. */
export const session = new Session();
