// The notice stream: one EventSource per tab on /api/v1/me/events, shared by every screen in it.
// A notice says only that something changed (a type and ids); the screen re-reads it through the
// API. Notices missed while the stream was down are not replayed, so after a reconnect, or when
// the server says notices may have been lost, every subscriber re-reads all it shows.
// A hidden tab closes its stream and reopens it (and re-reads) when shown again: over HTTP/1.1 a
// browser keeps at most six connections to a host, and streams of tabs nobody looks at must not
// starve the API requests of the one in front.

/** Notices a screen can subscribe to (docs/api.yaml, GET /me/events). */
export type NoticeType =
  | 'live_session_started'
  | 'live_session_ended'
  | 'assignment_assigned'
  | 'assignment_reviewed'
  | 'assignment_submitted'
  | 'commitment_confirmed'
  | 'measure_flagged';

export interface Notice {
  type: NoticeType | 'ready' | 'resync';
  couple_id?: number;
  live_session_id?: number;
  assignment_id?: number;
  commitment_id?: number;
}

const NOTICE_TYPES: NoticeType[] = [
  'live_session_started',
  'live_session_ended',
  'assignment_assigned',
  'assignment_reviewed',
  'assignment_submitted',
  'commitment_confirmed',
  'measure_flagged',
];

/** The part of an EventSource the stream uses, so tests can hand in a fake. */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
  /** 2 (closed) once the browser gave up: an answer other than the stream (a 401, a 503). */
  readonly readyState: number;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

/** Whether the tab is hidden, and when that changes, so tests can hand in a fake. */
export interface PageVisibility {
  hidden(): boolean;
  subscribe(onChange: () => void): () => void;
}

export interface NoticeStreamOptions {
  /** Opens the stream; defaults to the browser's EventSource. */
  open?: EventSourceFactory;
  /** Defaults to the document's visibility; null when there is none. */
  page?: PageVisibility | null;
}

export interface NoticeHandlers {
  /** Told each notice of the subscribed types. */
  notice: (notice: Notice) => void;
  /** Told to re-read everything the screen shows: notices may have been missed. */
  reread: () => void;
}

interface Subscriber extends NoticeHandlers {
  types: Set<NoticeType>;
}

export const NOTICES_URL = '/api/v1/me/events';

const CLOSED = 2;
/** How long to wait before opening again a stream the browser gave up on, in ms. */
export const REOPEN_AFTER_MS = 10_000;

function browserEventSource(url: string): EventSourceLike {
  return new EventSource(url);
}

function documentVisibility(): PageVisibility | null {
  if (typeof document === 'undefined') return null;
  return {
    hidden: () => document.visibilityState === 'hidden',
    subscribe(onChange) {
      document.addEventListener('visibilitychange', onChange);
      return () => document.removeEventListener('visibilitychange', onChange);
    },
  };
}

export class NoticeStream {
  readonly #open: EventSourceFactory;
  readonly #page: PageVisibility | null;
  #stopWatching: (() => void) | null = null;
  #source: EventSourceLike | null = null;
  #reopen: ReturnType<typeof setTimeout> | null = null;
  readonly #subscribers = new Set<Subscriber>();
  /** Whether the stream has been ready before: a later ready is a reconnect. */
  #wasReady = false;

  constructor(options: NoticeStreamOptions = {}) {
    this.#open = options.open ?? browserEventSource;
    this.#page = options.page === undefined ? documentVisibility() : options.page;
  }

  /**
   * Tells handlers of the notices of these types, and asks them to re-read after a reconnect.
   * The stream opens with the first subscriber and closes after the last; the returned
   * function unsubscribes (hand it back from a Svelte onMount).
   */
  subscribe(types: NoticeType[], handlers: NoticeHandlers): () => void {
    const subscriber: Subscriber = { ...handlers, types: new Set(types) };
    this.#subscribers.add(subscriber);
    this.#stopWatching ??= this.#page?.subscribe(() => this.#visibilityChanged()) ?? null;
    this.#connect();
    return () => {
      this.#subscribers.delete(subscriber);
      if (this.#subscribers.size === 0) this.close();
    };
  }

  /** Closes the stream (on sign-out); the next subscriber opens it again. */
  close(): void {
    this.#stopWatching?.();
    this.#stopWatching = null;
    this.#disconnect();
    this.#wasReady = false;
  }

  /** Closes the connection, remembering that it was ready: the next ready is a reconnect. */
  #disconnect(): void {
    if (this.#reopen) clearTimeout(this.#reopen);
    this.#reopen = null;
    this.#source?.close();
    this.#source = null;
  }

  #visibilityChanged(): void {
    if (this.#page?.hidden()) this.#disconnect();
    else if (this.#subscribers.size > 0) this.#connect();
  }

  #connect(): void {
    if (this.#source || this.#page?.hidden()) return;
    const source = this.#open(NOTICES_URL);
    this.#source = source;
    source.addEventListener('ready', () => {
      if (this.#wasReady) this.#reread();
      this.#wasReady = true;
    });
    source.addEventListener('resync', () => this.#reread());
    source.addEventListener('error', () => {
      // The browser retries a dropped stream by itself, but not one refused with an error
      // status (an instance shutting down answers 503): open it again a little later.
      if (source.readyState !== CLOSED || this.#source !== source) return;
      this.#source = null;
      this.#reopen = setTimeout(() => {
        this.#reopen = null;
        if (this.#subscribers.size > 0) this.#connect();
      }, REOPEN_AFTER_MS);
    });
    for (const type of NOTICE_TYPES) {
      source.addEventListener(type, (event) => this.#deliver(type, event.data));
    }
  }

  #deliver(type: NoticeType, data: string): void {
    let notice: Notice;
    try {
      notice = JSON.parse(data) as Notice;
    } catch {
      return; // not a notice this client understands; the next re-read catches up
    }
    for (const subscriber of [...this.#subscribers]) {
      if (subscriber.types.has(type)) subscriber.notice(notice);
    }
  }

  #reread(): void {
    for (const subscriber of [...this.#subscribers]) subscriber.reread();
  }
}

/** The tab's one notice stream. */
export const notices = new NoticeStream();
