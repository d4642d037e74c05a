// The live-session client: one WebSocket to /api/v1/live/{id}/ws, the floor's state rebuilt from
// the snapshot and the events that follow it, a transcript kept in memory only, and an outbox
// whose commands keep their id across reconnects so the server stores each of them once.
// It knows nothing of Svelte: screens subscribe to it like a store.
import type { LiveEvent, LiveMode, LiveRole, LiveState, Seat } from './api';

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'offline' | 'stopped';

/** Why the client stopped for good: the session ended, or access to it did. */
export type StopReason = 'ended' | 'access_ended' | 'not_found';

/** A command as the client hands it over; the client adds the id. */
export type LiveCommand =
  | { type: 'say' | 'paraphrase' | 'moderator'; text: string }
  | { type: 'request_floor' | 'yield' | 'more' | 'ready' | 'revoke' | 'skip' | 'resume' | 'end' }
  | { type: 'confirm'; ok: boolean }
  | { type: 'grant'; seat: Seat }
  | { type: 'extend'; seconds?: number }
  | { type: 'pause'; reason?: string }
  | { type: 'mode'; mode: LiveMode }
  | { type: 'settings'; turn_seconds?: number; min_break_seconds?: number };

/** A refused command, with a sentence fit to show. */
export class LiveCommandError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'LiveCommandError';
    this.code = code;
  }
}

/** A participant's media as the server last described it (media_state). */
export interface MediaParticipant {
  role: 'chair' | Seat;
  /** Connected and sending audio. */
  audio: boolean;
  video: boolean;
  /** The server forwards this participant's audio now. */
  heard: boolean;
  /** Their audio has been above the speech threshold in the last moments. */
  speaking: boolean;
}

/** A media signalling frame the client sends; never stored, no seq (docs/protocol.md). */
export type MediaFrame =
  | { type: 'media_join'; id?: string; video: boolean }
  | { type: 'media_answer'; sdp: string }
  | { type: 'media_candidate'; candidate: RTCIceCandidateInit }
  | { type: 'media_mute'; audio: boolean; video: boolean }
  | { type: 'media_leave' };

/** A media signalling frame from the server, other than media_state (which is in the view). */
export type ServerMediaFrame =
  | { type: 'media_offer'; sdp: string; ice_servers?: RTCIceServer[] }
  | { type: 'media_candidate'; candidate: RTCIceCandidateInit }
  | { type: 'media_error'; id?: string; code: string; message: string };

/** Who listens to media signalling: the frames, each new socket being ready, and the end. */
export interface MediaSignals {
  frame(frame: ServerMediaFrame): void;
  /** A snapshot arrived on a new socket: the server holds no media connection for this one yet. */
  synced(): void;
  /** The connection stopped for good (the session ended, or access to it did): media goes too. */
  stopped(): void;
}

/** What a screen shows; a new object after every change. */
export interface LiveView {
  connection: Connection;
  stopReason?: StopReason;
  /** The server's words when it closed the connection for good. */
  stopMessage?: string;
  /** The floor as of the last event applied; null until the first snapshot. */
  state: LiveState | null;
  /** Every event received, in seq order, once each. */
  transcript: LiveEvent[];
  /** The floor holder's unsent text, by seat. */
  drafts: Partial<Record<Seat, string>>;
  present: LiveRole[];
  /** Commands waiting for the server's answer. */
  pending: number;
  /** The last refusal without a command to blame it on, or of a command sent with `send`. */
  notice: { code: string; message: string } | null;
  /** Milliseconds to add to this device's clock to get the server's. */
  clockOffset: number;
  /** Everyone's media, as of the last media_state on this socket; empty without one. */
  media: MediaParticipant[];
}

/** The part of a WebSocket the client uses, so tests can hand in a fake. */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** Tells whether the device is online and when that changes. */
export interface NetworkWatch {
  online(): boolean;
  subscribe(onChange: (online: boolean) => void): () => void;
}

export interface LiveClientOptions {
  sessionID: number;
  /** Opens a socket; defaults to the browser's WebSocket at the page's own host. */
  connect?: (url: string) => SocketLike;
  network?: NetworkWatch;
  /** A fresh prefix for command ids; defaults to a random UUID. */
  idPrefix?: string;
  random?: () => number;
  now?: () => number;
  /**
   * Asked after connections keep failing before they open (a refused handshake looks like a
   * drop to a browser): "ok" to keep trying, or why to stop.
   */
  probe?: () => Promise<'ok' | 'signed_out' | 'not_found'>;
  /** How long a draft waits for more typing before it is sent, in ms. */
  draftDelay?: number;
}

/** Close codes from docs/protocol.md. */
const ACCESS_ENDED = 1008;
const RESTARTING = 1012;
/** The code the client closes with itself (gap, offline, stop). */
const CLIENT_CLOSE = 1000;

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15_000;
/** Failed handshakes in a row before the client asks why. */
const PROBE_AFTER_FAILURES = 3;
/** Times an `internal` refusal is retried with the same id before it is given up. */
const INTERNAL_RETRIES = 3;

interface Outgoing {
  frame: Record<string, unknown> & { id: string };
  resolve: (seq: number) => void;
  reject: (error: LiveCommandError) => void;
  internalFailures: number;
}

interface Listener {
  (view: LiveView): void;
}

function browserNetwork(): NetworkWatch {
  return {
    online: () => globalThis.navigator?.onLine ?? true,
    subscribe(onChange) {
      const up = () => onChange(true);
      const down = () => onChange(false);
      globalThis.addEventListener?.('online', up);
      globalThis.addEventListener?.('offline', down);
      return () => {
        globalThis.removeEventListener?.('online', up);
        globalThis.removeEventListener?.('offline', down);
      };
    },
  };
}

/** The socket address for a session, resuming after seq. */
export function socketURL(sessionID: number, after: number, location: { protocol: string; host: string }): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/v1/live/${sessionID}/ws?after=${after}`;
}

export class LiveClient {
  #view: LiveView = {
    connection: 'connecting',
    state: null,
    transcript: [],
    drafts: {},
    present: [],
    pending: 0,
    notice: null,
    clockOffset: 0,
    media: [],
  };
  readonly #listeners = new Set<Listener>();
  readonly #outbox = new Map<string, Outgoing>();
  readonly #mediaListeners = new Set<MediaSignals>();
  readonly #options: Required<Omit<LiveClientOptions, 'probe'>> & Pick<LiveClientOptions, 'probe'>;
  #socket: SocketLike | null = null;
  /** Set once a snapshot arrived on the current socket: commands may flow. */
  #synced = false;
  #everLive = false;
  #lastSeq = 0;
  #nextID = 1;
  #failures = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #draftTimer: ReturnType<typeof setTimeout> | null = null;
  #draftText: string | null = null;
  #stopNetwork: (() => void) | null = null;
  #started = false;

  constructor(options: LiveClientOptions) {
    this.#options = {
      connect: (url) => new WebSocket(url) as unknown as SocketLike,
      network: browserNetwork(),
      idPrefix: globalThis.crypto?.randomUUID?.() ?? Math.random().toString(36).slice(2),
      random: Math.random,
      now: Date.now,
      draftDelay: 250,
      ...options,
    };
  }

  /** The current view. */
  get view(): LiveView {
    return this.#view;
  }

  /** Svelte's store contract: called now and after every change; returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    listener(this.#view);
    return () => this.#listeners.delete(listener);
  }

  /** Opens the connection, starting from the whole history of the session. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#stopNetwork = this.#options.network.subscribe((online) => this.#networkChanged(online));
    if (!this.#options.network.online()) {
      this.#update({ connection: 'offline' });
      return;
    }
    this.#open();
  }

  /** Closes the connection for good; commands still waiting are refused. */
  stop(): void {
    this.#halt();
    this.#failAll(new LiveCommandError('closed', 'The live session was closed on this device before the server answered.'));
  }

  /**
   * Sends a command, now or as soon as the connection is back. Resolves with the seq the server
   * acknowledged; rejects with a LiveCommandError when it is refused.
   */
  send(command: LiveCommand): Promise<number> {
    if (this.#view.connection === 'stopped') {
      const error = new LiveCommandError(this.#view.stopReason === 'ended' ? 'ended' : 'closed', this.#stoppedMessage());
      return Promise.reject(error);
    }
    const id = `${this.#options.idPrefix}-${this.#nextID++}`;
    if (command.type === 'say') this.#cancelDraft();
    return new Promise<number>((resolve, reject) => {
      const outgoing: Outgoing = { frame: { ...command, id }, resolve, reject, internalFailures: 0 };
      this.#outbox.set(id, outgoing);
      this.#update({ pending: this.#outbox.size, notice: null });
      if (this.#synced) this.#transmit(outgoing.frame);
    });
  }

  /** Relays what the floor holder is typing, at most once per draft delay; dropped while offline. */
  draft(text: string): void {
    this.#draftText = text;
    if (this.#draftTimer !== null) return;
    this.#draftTimer = setTimeout(() => {
      this.#draftTimer = null;
      const pending = this.#draftText;
      this.#draftText = null;
      if (pending !== null && this.#synced) this.#transmit({ type: 'draft', text: pending });
    }, this.#options.draftDelay);
  }

  /** Listens for media signalling on this connection; returns the unsubscribe. */
  media(signals: MediaSignals): () => void {
    this.#mediaListeners.add(signals);
    return () => this.#mediaListeners.delete(signals);
  }

  /**
   * Sends a media frame now, or returns false when no socket is synced: media frames are never
   * queued, because a new socket negotiates media from scratch.
   */
  sendMedia(frame: MediaFrame): boolean {
    if (!this.#synced) return false;
    this.#transmit(frame);
    return true;
  }

  /** The server's time now, by this device's clock and the offset seen in live events. */
  serverNow(): number {
    return this.#options.now() + this.#view.clockOffset;
  }

  #cancelDraft(): void {
    if (this.#draftTimer !== null) clearTimeout(this.#draftTimer);
    this.#draftTimer = null;
    this.#draftText = null;
  }

  #stoppedMessage(): string {
    return this.#view.stopReason === 'ended' ? errorMessage('ended') : 'The live session is closed on this device.';
  }

  #update(change: Partial<LiveView>): void {
    this.#view = { ...this.#view, ...change };
    for (const listener of this.#listeners) listener(this.#view);
  }

  #open(): void {
    this.#clearRetry();
    this.#synced = false;
    this.#update({ connection: this.#everLive ? 'reconnecting' : 'connecting' });
    const url = socketURL(this.#options.sessionID, this.#lastSeq, globalThis.location ?? { protocol: 'http:', host: 'localhost' });
    const socket = this.#options.connect(url);
    this.#socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
    };
    socket.onmessage = (event) => {
      if (this.#socket === socket && typeof event.data === 'string') this.#receive(event.data);
    };
    socket.onerror = () => {};
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#unsync();
      this.#closed(event.code, event.reason, opened);
    };
  }

  /** Drops the current socket without hearing its close, so it cannot trigger a reconnect. */
  #detach(): void {
    const socket = this.#socket;
    this.#socket = null;
    this.#unsync();
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close(CLIENT_CLOSE);
    }
  }

  /** The socket is gone or going: commands wait, and the media picture is unknown until the next one. */
  #unsync(): void {
    this.#synced = false;
    if (this.#view.media.length > 0) this.#update({ media: [] });
  }

  #halt(): void {
    this.#clearRetry();
    this.#cancelDraft();
    this.#detach();
    this.#stopNetwork?.();
    this.#stopNetwork = null;
  }

  #stopFor(reason: StopReason, message?: string): void {
    this.#halt();
    this.#update({ connection: 'stopped', stopReason: reason, stopMessage: message, drafts: {}, present: [] });
    for (const listener of this.#mediaListeners) listener.stopped();
    this.#failAll(new LiveCommandError(reason === 'ended' ? 'ended' : 'closed', this.#stoppedMessage()));
  }

  #failAll(error: LiveCommandError): void {
    for (const outgoing of this.#outbox.values()) outgoing.reject(error);
    this.#outbox.clear();
    if (this.#view.pending !== 0) this.#update({ pending: 0 });
  }

  #clearRetry(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  #closed(code: number, reason: string, opened: boolean): void {
    if (code === ACCESS_ENDED) {
      this.#stopFor('access_ended', reason || undefined);
      return;
    }
    this.#failures = opened ? 1 : this.#failures + 1;
    if (!this.#options.network.online()) {
      this.#update({ connection: 'offline', drafts: {}, present: [] });
      return;
    }
    this.#update({ connection: this.#everLive ? 'reconnecting' : 'connecting', drafts: {}, present: [] });
    if (!opened && this.#failures >= PROBE_AFTER_FAILURES && this.#options.probe) {
      this.#options.probe().then(
        (answer) => {
          if (answer === 'signed_out') this.#stopFor('access_ended', 'You have been signed out.');
          else if (answer === 'not_found') this.#stopFor('not_found');
          else this.#scheduleRetry(code);
        },
        () => this.#scheduleRetry(code),
      );
      return;
    }
    this.#scheduleRetry(code);
  }

  /** Waits before the next attempt: a restart is retried at once, anything else backs off. */
  #scheduleRetry(code: number): void {
    if (this.#view.connection === 'stopped' || this.#view.connection === 'offline') return;
    const exponent = Math.min(this.#failures - 1, 10);
    const ceiling = code === RESTARTING ? BACKOFF_FIRST_MS : Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** exponent);
    // Full jitter, with a floor, so a room's clients do not all come back in the same instant.
    const delay = ceiling / 2 + (this.#options.random() * ceiling) / 2;
    this.#clearRetry();
    this.#retryTimer = setTimeout(() => this.#open(), delay);
  }

  #networkChanged(online: boolean): void {
    if (this.#view.connection === 'stopped') return;
    if (!online) {
      this.#clearRetry();
      this.#detach();
      this.#update({ connection: 'offline', drafts: {}, present: [] });
    } else if (this.#view.connection === 'offline') {
      this.#failures = 0;
      this.#open();
    }
  }

  #transmit(frame: Record<string, unknown>): void {
    this.#socket?.send(JSON.stringify(frame));
  }

  #receive(data: string): void {
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof frame.seq === 'number' && frame.type !== 'snapshot' && frame.type !== 'ack') {
      this.#event(frame as unknown as LiveEvent);
      return;
    }
    switch (frame.type) {
      case 'snapshot':
        this.#snapshot(frame.state as LiveState);
        break;
      case 'ack':
        this.#settle(String(frame.id ?? ''), (outgoing) => outgoing.resolve(Number(frame.seq)));
        break;
      case 'error':
        this.#refused(String(frame.id ?? ''), String(frame.code ?? ''), String(frame.message ?? ''));
        break;
      case 'draft':
        if (frame.seat === 'a' || frame.seat === 'b') {
          this.#update({ drafts: { ...this.#view.drafts, [frame.seat]: String(frame.text ?? '') } });
        }
        break;
      case 'presence':
        this.#update({ present: Array.isArray(frame.present) ? (frame.present as LiveRole[]) : [] });
        break;
      case 'media_state':
        this.#update({ media: Array.isArray(frame.participants) ? (frame.participants as MediaParticipant[]) : [] });
        break;
      case 'media_offer':
      case 'media_candidate':
      case 'media_error':
        for (const listener of this.#mediaListeners) listener.frame(frame as unknown as ServerMediaFrame);
        break;
    }
  }

  #snapshot(state: LiveState): void {
    this.#synced = true;
    this.#everLive = true;
    this.#failures = 0;
    this.#update({ state, connection: 'live' });
    // Everything unanswered goes again, with its id: the server answers a stored one with its ack.
    for (const outgoing of this.#outbox.values()) this.#transmit(outgoing.frame);
    for (const listener of this.#mediaListeners) listener.synced();
    this.#stopIfOver();
  }

  #event(event: LiveEvent): void {
    const state = this.#view.state;
    if (state === null) return;
    if (event.seq > this.#lastSeq + 1 || event.seq > state.seq + 1) {
      // A gap: something was missed. Resume from the last event held.
      this.#detach();
      this.#failures = 0;
      this.#open();
      return;
    }
    const change: Partial<LiveView> = {};
    if (event.seq === this.#lastSeq + 1) {
      this.#lastSeq = event.seq;
      change.transcript = [...this.#view.transcript, event];
    }
    if (event.seq === state.seq + 1) {
      const next = applyEvent(state, event);
      change.state = next;
      change.drafts = draftsAfter(this.#view.drafts, event, next);
      const at = Date.parse(event.at);
      if (!Number.isNaN(at)) change.clockOffset = at - this.#options.now();
    }
    if (Object.keys(change).length > 0) this.#update(change);
    this.#stopIfOver();
  }

  #settle(id: string, finish: (outgoing: Outgoing) => void): Outgoing | undefined {
    const outgoing = this.#outbox.get(id);
    if (!outgoing) return undefined;
    this.#outbox.delete(id);
    finish(outgoing);
    this.#update({ pending: this.#outbox.size });
    this.#stopIfOver();
    return outgoing;
  }

  #refused(id: string, code: string, serverMessage: string): void {
    const outgoing = this.#outbox.get(id);
    if (outgoing && code === 'internal' && outgoing.internalFailures < INTERNAL_RETRIES) {
      outgoing.internalFailures += 1;
      const frame = outgoing.frame;
      setTimeout(() => {
        if (this.#synced && this.#outbox.get(frame.id) === outgoing) this.#transmit(frame);
      }, BACKOFF_FIRST_MS * 2 ** outgoing.internalFailures);
      return;
    }
    const message = errorMessage(code, serverMessage);
    this.#update({ notice: { code, message } });
    if (code === 'rate_limited' && this.#outbox.has(id)) {
      // One rate_limited error answers every refusal since the previous one. Commands are
      // answered in the order they were sent, so those sent before this one and still
      // unanswered were refused too.
      for (const earlier of [...this.#outbox.keys()]) {
        if (earlier === id) break;
        this.#settle(earlier, (refused) => refused.reject(new LiveCommandError(code, message)));
      }
    }
    this.#settle(id, (refused) => refused.reject(new LiveCommandError(code, message)));
  }

  /** Once the session has ended and every event and answer is in, the connection has done its work. */
  #stopIfOver(): void {
    const state = this.#view.state;
    if (state?.ended && this.#lastSeq >= state.seq && this.#outbox.size === 0 && this.#view.connection === 'live') {
      this.#stopFor('ended');
    }
  }
}

/** Drafts after an event: a seat's draft goes when it speaks, and anyone's when they lose the floor. */
function draftsAfter(drafts: Partial<Record<Seat, string>>, event: LiveEvent, state: LiveState): Partial<Record<Seat, string>> {
  const next: Partial<Record<Seat, string>> = {};
  for (const seat of ['a', 'b'] as Seat[]) {
    const text = drafts[seat];
    if (text === undefined || seat !== state.holder) continue;
    if (event.type === 'utterance' && event.seat === seat) continue;
    next[seat] = text;
  }
  return next;
}

function ms(instant: string | undefined): number {
  if (!instant) return Number.NaN;
  return Date.parse(instant);
}

/** The holder's running talk time up to at, added to their count, and the count stopped. */
function countTalk(s: LiveState, at: string): LiveState {
  const since = ms(s.held_since);
  const now = ms(at);
  if (s.holder && !Number.isNaN(since) && now > since) {
    s = { ...s, talk_ms: { ...s.talk_ms, [s.holder]: s.talk_ms[s.holder] + (now - since) } };
  }
  return { ...s, held_since: undefined };
}

function releaseFloor(s: LiveState, at: string): LiveState {
  return { ...countTalk(s, at), holder: undefined, phase: undefined, paraphrase: undefined, deadline: undefined };
}

function timed(s: LiveState): boolean {
  return s.holder !== undefined && (s.mode === 'turns' || s.phase === 'speaking');
}

/**
 * The state after an event, as the server's floor rules fold it (floor.Apply in realtime/floor). The events carry
 * every value needed, so the client never decides anything; it only follows.
 */
export function applyEvent(s: LiveState, e: LiveEvent): LiveState {
  s = { ...s, seq: e.seq };
  switch (e.type) {
    case 'utterance':
      if (e.seat) s.utterances = { ...s.utterances, [e.seat]: s.utterances[e.seat] + 1 };
      return s;
    case 'spoken_interruption':
      if (e.seat) {
        const heard = s.spoken_interruptions ?? { a: 0, b: 0 };
        s.spoken_interruptions = { ...heard, [e.seat]: heard[e.seat] + 1 };
      }
      return s;
    case 'floor_requested':
      return e.seat ? { ...s, queue: [...(s.queue ?? []), e.seat] } : s;
    case 'floor_granted': {
      s = countTalk(s, e.at);
      const queue = (s.queue ?? []).filter((seat) => seat !== e.seat);
      return {
        ...s,
        holder: e.seat,
        queue: queue.length > 0 ? queue : undefined,
        deadline: e.deadline,
        phase: s.mode === 'listener' ? 'speaking' : undefined,
        paraphrase: undefined,
        held_since: e.at,
      };
    }
    case 'floor_yielded':
    case 'floor_expired':
      return s.mode === 'listener' ? { ...s, phase: 'paraphrase', deadline: undefined } : releaseFloor(s, e.at);
    case 'floor_revoked':
    case 'floor_skipped':
      return releaseFloor(s, e.at);
    case 'paraphrase':
      return { ...s, phase: 'confirm', paraphrase: e.text };
    case 'paraphrase_confirmed':
      return { ...s, paraphrase: undefined };
    case 'paraphrase_rejected':
      return { ...s, phase: 'paraphrase', paraphrase: undefined };
    case 'more':
      return { ...s, phase: 'speaking', paraphrase: undefined, deadline: e.deadline };
    case 'turn_extended':
      return { ...s, deadline: e.deadline };
    case 'paused': {
      s = countTalk(s, e.at);
      const left = ms(s.deadline) - ms(e.at);
      return {
        ...s,
        remaining_ms: timed(s) && left > 0 ? left : undefined,
        deadline: undefined,
        paused: true,
        paused_by: e.actor.role,
        pause_reason: e.reason,
        break_until: e.break_until,
        ready: undefined,
      };
    }
    case 'ready':
      return e.seat ? { ...s, ready: [...(s.ready ?? []), e.seat] } : s;
    case 'resumed':
      return {
        ...s,
        paused: false,
        paused_by: undefined,
        pause_reason: undefined,
        break_until: undefined,
        remaining_ms: undefined,
        ready: undefined,
        deadline: e.deadline,
        held_since: s.holder ? e.at : s.held_since,
      };
    case 'mode_changed': {
      const mode = e.mode === 'listener' ? 'listener' : 'turns';
      return {
        ...s,
        mode,
        phase: mode === 'listener' && s.holder ? 'speaking' : undefined,
        paraphrase: undefined,
        deadline: e.deadline,
      };
    }
    case 'settings_changed':
      return { ...s, turn_seconds: e.turn_seconds ?? s.turn_seconds, min_break_seconds: e.min_break_seconds ?? s.min_break_seconds };
    case 'ended': {
      s = countTalk(s, e.at);
      return {
        seq: s.seq,
        mode: s.mode,
        turn_seconds: s.turn_seconds,
        min_break_seconds: s.min_break_seconds,
        show_drafts: s.show_drafts,
        paused: false,
        ended: true,
        talk_ms: s.talk_ms,
        utterances: s.utterances,
        spoken_interruptions: s.spoken_interruptions,
      };
    }
  }
  return s;
}

/** Refusals in plain words. Codes whose server message already names the situation keep it. */
export function errorMessage(code: string, serverMessage = ''): string {
  switch (code) {
    case 'not_your_turn':
      return "It's not your turn yet. Your words were not sent; ask for the floor and you'll be next.";
    case 'paused':
      return 'The session is on a break. This can wait until it carries on.';
    case 'ended':
      return 'This session has ended, so nothing more can be sent.';
    case 'rate_limited':
      return "That was a lot in a short time. Please wait a moment and try again.";
    case 'too_large':
      return 'That message is too long to send. Please shorten it.';
    case 'not_allowed':
      return "That isn't something you can do in this session.";
    case 'bad_request':
      return "That message couldn't be sent as it is. Please check it and try again.";
    case 'internal':
      return 'Something went wrong on our side. Please try again in a moment.';
    case 'conflict':
      return serverMessage || "That can't be done right now.";
  }
  return serverMessage || 'That could not be done. Please try again.';
}

/** The names to use for the people in the room. */
export interface RoomNames {
  a: string;
  b: string;
  chair: string;
}

function who(names: RoomNames, role: string | undefined): string {
  if (role === 'a' || role === 'b' || role === 'chair') return names[role];
  return 'The session timer';
}

/** One transcript line: who, and what happened, in words. */
export function describeEvent(e: LiveEvent, names: RoomNames): { who: string; text: string; spoken: boolean } {
  const seat = who(names, e.seat);
  const actor = who(names, e.actor.role);
  switch (e.type) {
    case 'utterance':
      return { who: seat, text: e.text ?? '', spoken: true };
    case 'moderator':
      return { who: names.chair, text: e.text ?? '', spoken: true };
    case 'paraphrase':
      return { who: `${seat}, saying back what they heard`, text: e.text ?? '', spoken: true };
    case 'floor_requested':
      return { who: seat, text: 'asked for the floor.', spoken: false };
    case 'floor_granted':
      return { who: seat, text: 'has the floor.', spoken: false };
    case 'floor_yielded':
      return { who: seat, text: 'finished speaking.', spoken: false };
    case 'floor_revoked':
      return { who: actor, text: `took the floor back from ${seat}.`, spoken: false };
    case 'floor_skipped':
      return { who: actor, text: `moved the floor on from ${seat}.`, spoken: false };
    case 'floor_expired':
      return { who: seat, text: 'ran out of time.', spoken: false };
    case 'paraphrase_confirmed':
      return { who: seat, text: '“That’s it.”', spoken: false };
    case 'paraphrase_rejected':
      return { who: seat, text: '“Not quite.”', spoken: false };
    case 'more':
      return { who: seat, text: 'has more to say.', spoken: false };
    case 'turn_extended':
      return { who: actor, text: `added ${e.seconds ?? 60} seconds to the turn.`, spoken: false };
    case 'paused':
      return { who: actor, text: e.reason ? `called a break: ${e.reason}` : 'called a break.', spoken: false };
    case 'ready':
      return { who: seat, text: 'is ready to go on.', spoken: false };
    case 'resumed':
      return { who: actor === 'The session timer' ? 'The session' : actor, text: e.actor.role === 'system' ? 'carries on.' : 'carried on after the break.', spoken: false };
    case 'mode_changed':
      return { who: actor, text: e.mode === 'listener' ? 'switched to speaker and listener.' : 'switched to taking turns.', spoken: false };
    case 'settings_changed':
      return {
        who: actor,
        text: `set turns to ${durationWords(e.turn_seconds ?? 0)} and breaks to at least ${durationWords(e.min_break_seconds ?? 0)}.`,
        spoken: false,
      };
    case 'ended':
      return { who: actor, text: 'ended the session.', spoken: false };
    case 'spoken_interruption':
      return { who: seat, text: 'spoke out of turn; their voice was not passed on.', spoken: false };
  }
  return { who: actor, text: e.type.replaceAll('_', ' '), spoken: false };
}

/** "2 minutes", "90 seconds", "1 minute 30 seconds" as a setting reads. */
export function durationWords(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  const m = minutes === 1 ? '1 minute' : `${minutes} minutes`;
  const s = rest === 1 ? '1 second' : `${rest} seconds`;
  if (minutes === 0) return s;
  return rest === 0 ? m : `${m} ${s}`;
}

/** "1:05" for a countdown, never below 0:00. */
export function clock(msLeft: number): string {
  const total = Math.max(0, Math.ceil(msLeft / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

/**
 * What the countdown's live region says, if anything, as time runs from one tick to the next:
 * once when a turn starts, and as it passes 30 and 10 seconds left. Quiet otherwise, so a screen
 * reader is not told the time every second.
 */
export function countdownAnnouncement(before: number | null, after: number, turnStarted: boolean): string | null {
  if (turnStarted) return `${durationWords(Math.max(0, Math.round(after / 1000)))} on the clock.`;
  if (before === null) return null;
  for (const mark of [30_000, 10_000]) {
    if (before > mark && after <= mark && after > 0) return `${mark / 1000} seconds left.`;
  }
  if (before > 0 && after <= 0) return 'Time is up.';
  return null;
}

/**
 * Where the floor stands, in one sentence about people. On a partner's own screen (me) it speaks
 * of them as "you".
 */
export function floorSentence(s: LiveState, names: RoomNames, me?: Seat): string {
  if (s.ended) return 'The session has ended.';
  if (s.paused) {
    const by = s.paused_by === me ? 'you' : s.paused_by === 'a' || s.paused_by === 'b' || s.paused_by === 'chair' ? names[s.paused_by] : 'Someone';
    return `On a break, called by ${by}.`;
  }
  if (!s.holder) return 'No one has the floor.';
  const listenerSeat = s.holder === 'a' ? 'b' : 'a';
  // Each person as the subject of a sentence (with its verb), as an object, and as an owner.
  const person = (seat: Seat) =>
    seat === me
      ? { is: 'You are', has: 'You have', object: 'you', owner: 'your' }
      : { is: `${names[seat]} is`, has: `${names[seat]} has`, object: names[seat], owner: `${names[seat]}’s` };
  const speaker = person(s.holder);
  const listener = person(listenerSeat);
  if (s.mode === 'turns') return `${speaker.has} the floor.`;
  if (s.phase === 'paraphrase') return `${listener.is} saying back what ${speaker.object} said.`;
  if (s.phase === 'confirm') return `${speaker.is} checking ${listener.owner} paraphrase.`;
  return `${speaker.is} speaking; ${listener.is.replace(/^You/, 'you')} listening.`;
}

/**
 * Whether what a partner types reaches the others before it is sent, as the session's setting
 * says (show_drafts, chosen by the therapist when starting it). On a partner's own screen (me) it
 * speaks to them about the other two.
 */
export function typingSentence(s: LiveState, names: RoomNames, me?: Seat): string {
  if (me === undefined) {
    return s.show_drafts
      ? 'The partners’ typing is shown to the room as they write.'
      : 'The partners’ typing is not shown: their words appear when they send them.';
  }
  const other = names[me === 'a' ? 'b' : 'a'];
  const therapist = names.chair === 'The therapist' ? 'your therapist' : names.chair;
  return s.show_drafts
    ? `Your typing is shown to ${other} and ${therapist} as you write.`
    : `Your typing is not shown to ${other} or ${therapist}: they read your words when you send them.`;
}

/** Why the connection closed for good, for the person who was using it. */
export function stopSentence(view: LiveView): string {
  switch (view.stopReason) {
    case 'ended':
      return 'The session has ended.';
    case 'not_found':
      return 'This session no longer exists.';
  }
  return view.stopMessage ?? 'Your access to this session has ended. Please sign in again.';
}
