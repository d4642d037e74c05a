import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiveEvent, LiveState } from './api';
import {
  LiveClient,
  LiveCommandError,
  applyEvent,
  clock,
  countdownAnnouncement,
  describeEvent,
  errorMessage,
  floorSentence,
  typingSentence,
} from './live';
import { FakeNetwork, FakeSocket } from './liveFakes';

const start = '2026-03-04T17:00:00Z';

function fresh(seq = 0, change: Partial<LiveState> = {}): LiveState {
  return {
    seq,
    mode: 'listener',
    turn_seconds: 120,
    min_break_seconds: 60,
    paused: false,
    ended: false,
    talk_ms: { a: 0, b: 0 },
    utterances: { a: 0, b: 0 },
    ...change,
  };
}

function event(seq: number, type: LiveEvent['type'], extra: Partial<LiveEvent> = {}): LiveEvent {
  return { seq, type, actor: { user_id: 1, role: 'chair' }, at: start, ...extra };
}

function setup(options: { probe?: () => Promise<'ok' | 'signed_out' | 'not_found'> } = {}) {
  const sockets: FakeSocket[] = [];
  const network = new FakeNetwork();
  const client = new LiveClient({
    sessionID: 7,
    connect: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    network,
    idPrefix: 'tab',
    random: () => 0.5,
    now: () => Date.parse(start),
    probe: options.probe,
  });
  const last = () => sockets[sockets.length - 1];
  return { client, sockets, network, last };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('LiveClient', () => {
  it('starts from the whole history, shows old events without applying them twice, then follows live ones', () => {
    const { client, last } = setup();
    client.start();
    expect(client.view.connection).toBe('connecting');
    expect(last().after).toBe(0);

    // The snapshot already counts events 1 and 2; they arrive as history.
    const granted = event(1, 'floor_granted', { seat: 'a', deadline: '2026-03-04T17:02:00Z' });
    const said = event(2, 'utterance', { seat: 'a', text: 'I felt alone.', actor: { user_id: 5, role: 'a' } });
    const snapshotState = applyEvent(applyEvent(fresh(), granted), said);
    last().open(snapshotState, [granted, said]);
    expect(client.view.connection).toBe('live');
    expect(client.view.state?.utterances.a).toBe(1);
    expect(client.view.transcript.map((e) => e.seq)).toEqual([1, 2]);

    last().receive(event(3, 'floor_yielded', { seat: 'a' }));
    expect(client.view.state?.phase).toBe('paraphrase');
    expect(client.view.state?.seq).toBe(3);
    expect(client.view.transcript.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('resumes after a drop from the last event, with nothing doubled', () => {
    const { client, sockets, last } = setup();
    client.start();
    last().open(fresh(), [event(1, 'floor_granted', { seat: 'a' })]);
    last().drop(1006);
    expect(client.view.connection).toBe('reconnecting');
    expect(sockets).toHaveLength(1);

    vi.advanceTimersByTime(1000);
    expect(sockets).toHaveLength(2);
    expect(last().after).toBe(1);
    // The server missed nothing on its side: the snapshot is at 2 and event 2 is replayed.
    const later = event(2, 'utterance', { seat: 'a', text: 'Hello', actor: { user_id: 5, role: 'a' } });
    const state = applyEvent(applyEvent(fresh(), event(1, 'floor_granted', { seat: 'a' })), later);
    last().open(state, [later]);
    // A stray repeat of an event already held changes nothing.
    last().receive(later);
    expect(client.view.connection).toBe('live');
    expect(client.view.transcript.map((e) => e.seq)).toEqual([1, 2]);
    expect(client.view.state?.utterances.a).toBe(1);
  });

  it('sends a command queued while offline once, keeps its id when resending, and drops it only on its ack', async () => {
    const { client, sockets, network, last } = setup();
    network.up = false;
    client.start();
    expect(client.view.connection).toBe('offline');
    expect(sockets).toHaveLength(0);

    const acked = client.send({ type: 'request_floor' });
    expect(client.view.pending).toBe(1);

    network.set(true);
    expect(sockets).toHaveLength(1);
    last().open(fresh());
    expect(last().sent).toEqual([{ type: 'request_floor', id: 'tab-1' }]);

    // The connection drops before the ack: the command goes again with the same id, once.
    last().drop(1006);
    vi.advanceTimersByTime(1000);
    last().open(fresh(1, { queue: ['b'] }), [event(1, 'floor_requested', { seat: 'b' })]);
    expect(last().sent).toEqual([{ type: 'request_floor', id: 'tab-1' }]);
    last().receive({ type: 'ack', id: 'tab-1', seq: 1 });
    await expect(acked).resolves.toBe(1);
    expect(client.view.pending).toBe(0);

    // Nothing is left to resend on the next connection.
    last().drop(1012);
    vi.advanceTimersByTime(1000);
    last().open(fresh(1, { queue: ['b'] }));
    expect(last().sent).toEqual([]);
    expect(client.view.transcript).toHaveLength(1);
  });

  it('going offline closes the connection and coming back resumes at once', () => {
    const { client, sockets, network, last } = setup();
    client.start();
    last().open(fresh(), [event(1, 'floor_granted', { seat: 'a' })]);
    network.set(false);
    expect(sockets[0].closedWith).toBe(1000);
    expect(client.view.connection).toBe('offline');
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
    network.set(true);
    expect(sockets).toHaveLength(2);
    expect(last().after).toBe(1);
    expect(client.view.connection).toBe('reconnecting');
  });

  it('reconnects from the last event held when an event skips a number', () => {
    const { client, sockets, last } = setup();
    client.start();
    last().open(fresh(), [event(1, 'floor_granted', { seat: 'a' })]);
    last().receive(event(3, 'floor_yielded', { seat: 'a' }));
    expect(sockets[0].closedWith).toBe(1000);
    expect(sockets).toHaveLength(2);
    expect(last().after).toBe(1);
    expect(client.view.state?.seq).toBe(1);
    expect(client.view.transcript.map((e) => e.seq)).toEqual([1]);
  });

  it('stops for good when the server closes with 1008, refusing what waits', async () => {
    const { client, sockets, last } = setup();
    client.start();
    last().open(fresh());
    const waiting = client.send({ type: 'pause' });
    last().drop(1008, 'You have been signed out.');
    expect(client.view.connection).toBe('stopped');
    expect(client.view.stopReason).toBe('access_ended');
    expect(client.view.stopMessage).toBe('You have been signed out.');
    await expect(waiting).rejects.toBeInstanceOf(LiveCommandError);
    vi.advanceTimersByTime(120_000);
    expect(sockets).toHaveLength(1);
    await expect(client.send({ type: 'ready' })).rejects.toBeInstanceOf(LiveCommandError);
  });

  it('backs off between failed attempts and comes back at once after a restart', () => {
    const { client, sockets, last } = setup();
    client.start();
    last().drop(1006);
    vi.advanceTimersByTime(374);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    last().drop(1006);
    vi.advanceTimersByTime(749);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);
    last().open(fresh());
    last().drop(1012);
    vi.advanceTimersByTime(375);
    expect(sockets).toHaveLength(4);
  });

  it('asks why after handshakes keep failing, and stops when the session is gone', async () => {
    const probe = vi.fn(async () => 'not_found' as const);
    const { client, sockets, last } = setup({ probe });
    client.start();
    for (let i = 0; i < 3; i++) {
      last().drop(1006);
      await vi.advanceTimersByTimeAsync(5_000);
    }
    expect(probe).toHaveBeenCalledTimes(1);
    expect(client.view.connection).toBe('stopped');
    expect(client.view.stopReason).toBe('not_found');
    expect(sockets).toHaveLength(3);
  });

  it('rejects a refused command with plain words and keeps the room as it was', async () => {
    const { client, last } = setup();
    client.start();
    last().open(fresh(1, { holder: 'a', phase: 'speaking' }));
    const refused = client.send({ type: 'say', text: 'out of turn' });
    last().receive({ type: 'error', id: 'tab-1', code: 'not_your_turn', message: 'It is not your turn to speak.' });
    await expect(refused).rejects.toMatchObject({ code: 'not_your_turn', message: errorMessage('not_your_turn') });
    expect(client.view.notice?.code).toBe('not_your_turn');
    expect(client.view.pending).toBe(0);
    expect(client.view.transcript).toEqual([]);
  });

  it('takes one rate_limited error as the answer to every unanswered command sent up to its id', async () => {
    const { client, last } = setup();
    client.start();
    last().open(fresh(1, { holder: 'a', phase: 'speaking' }));
    const first = client.send({ type: 'say', text: 'one' });
    const second = client.send({ type: 'say', text: 'two' });
    const third = client.send({ type: 'say', text: 'three' });
    const fourth = client.send({ type: 'say', text: 'four' });
    last().receive({ type: 'ack', id: 'tab-1', seq: 2 });
    // The server counts refusals and tells them together: tab-2 and tab-3 are both refused.
    last().receive({ type: 'error', id: 'tab-3', code: 'rate_limited', refused: 2, message: 'Too many messages: 2 refused.' });
    await expect(first).resolves.toBe(2);
    await expect(second).rejects.toMatchObject({ code: 'rate_limited' });
    await expect(third).rejects.toMatchObject({ code: 'rate_limited' });
    expect(client.view.pending).toBe(1);
    last().receive({ type: 'ack', id: 'tab-4', seq: 3 });
    await expect(fourth).resolves.toBe(3);
    expect(client.view.pending).toBe(0);
  });

  it("shows the holder's draft, sends one's own at most every draft delay, and clears it when said", () => {
    const { client, last } = setup();
    client.start();
    last().open(fresh(1, { holder: 'a', phase: 'speaking' }), [event(1, 'floor_granted', { seat: 'a' })]);
    last().receive({ type: 'draft', seat: 'a', text: 'When you came' });
    expect(client.view.drafts.a).toBe('When you came');
    last().receive(event(2, 'utterance', { seat: 'a', text: 'When you came home late.' }));
    expect(client.view.drafts.a).toBeUndefined();

    client.draft('I');
    client.draft('I f');
    client.draft('I fe');
    expect(last().sent).toEqual([]);
    vi.advanceTimersByTime(250);
    expect(last().sent).toEqual([{ type: 'draft', text: 'I fe' }]);
  });

  it('closes once the session has ended and everything has arrived', async () => {
    const { client, sockets, last } = setup();
    client.start();
    last().open(fresh());
    const ending = client.send({ type: 'end' });
    last().receive(event(1, 'ended'));
    expect(client.view.connection).toBe('live');
    last().receive({ type: 'ack', id: 'tab-1', seq: 1 });
    await expect(ending).resolves.toBe(1);
    expect(client.view.connection).toBe('stopped');
    expect(client.view.stopReason).toBe('ended');
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
  });
});

describe('applyEvent', () => {
  it('runs the speaker–listener steps: yield, paraphrase, not quite, paraphrase again, confirm', () => {
    const at = (s: number) => new Date(Date.parse(start) + s * 1000).toISOString();
    const a = { user_id: 5, role: 'a' as const };
    const b = { user_id: 6, role: 'b' as const };
    const steps: LiveEvent[] = [
      event(1, 'floor_granted', { seat: 'a', at: at(0), deadline: at(120) }),
      event(2, 'utterance', { seat: 'a', actor: a, at: at(10), text: 'I felt alone.' }),
      event(3, 'floor_yielded', { seat: 'a', actor: a, at: at(20) }),
      event(4, 'paraphrase', { seat: 'b', actor: b, at: at(30), text: 'You were lonely.' }),
      event(5, 'paraphrase_rejected', { seat: 'a', actor: a, at: at(40) }),
      event(6, 'paraphrase', { seat: 'b', actor: b, at: at(50), text: 'You felt alone.' }),
      event(7, 'paraphrase_confirmed', { seat: 'a', actor: a, at: at(60) }),
      event(8, 'floor_granted', { seat: 'b', actor: a, at: at(60), deadline: at(180) }),
    ];
    const phases: (string | undefined)[] = [];
    let s = fresh();
    for (const e of steps) {
      s = applyEvent(s, e);
      phases.push(s.phase);
    }
    expect(phases).toEqual(['speaking', 'speaking', 'paraphrase', 'confirm', 'paraphrase', 'confirm', 'confirm', 'speaking']);
    expect(s.holder).toBe('b');
    expect(s.talk_ms).toEqual({ a: 60_000, b: 0 });
    expect(s.utterances).toEqual({ a: 1, b: 0 });
    expect(s.seq).toBe(8);
  });

  it('keeps the turn time left through a pause and gives it back on resume', () => {
    let s = applyEvent(fresh(0, { mode: 'turns' }), event(1, 'floor_granted', { seat: 'a', deadline: '2026-03-04T17:02:00Z' }));
    s = applyEvent(s, event(2, 'paused', { at: '2026-03-04T17:00:30Z', break_until: '2026-03-04T17:01:30Z' }));
    expect(s.paused).toBe(true);
    expect(s.remaining_ms).toBe(90_000);
    expect(s.deadline).toBeUndefined();
    expect(s.talk_ms.a).toBe(30_000);
    s = applyEvent(s, event(3, 'ready', { seat: 'a' }));
    expect(s.ready).toEqual(['a']);
    s = applyEvent(s, event(4, 'resumed', { at: '2026-03-04T17:05:00Z', deadline: '2026-03-04T17:06:30Z' }));
    expect(s.paused).toBe(false);
    expect(s.ready).toBeUndefined();
    expect(s.deadline).toBe('2026-03-04T17:06:30Z');
    expect(s.held_since).toBe('2026-03-04T17:05:00Z');
  });

  it('passes the floor to the queue only through the events that say so', () => {
    let s = applyEvent(fresh(0, { mode: 'turns' }), event(1, 'floor_granted', { seat: 'a' }));
    s = applyEvent(s, event(2, 'floor_requested', { seat: 'b' }));
    expect(s.queue).toEqual(['b']);
    s = applyEvent(s, event(3, 'floor_yielded', { seat: 'a' }));
    expect(s.holder).toBeUndefined();
    s = applyEvent(s, event(4, 'floor_granted', { seat: 'b' }));
    expect(s.holder).toBe('b');
    expect(s.queue).toBeUndefined();
  });
});

describe('words and time', () => {
  const names = { a: 'Sam', b: 'Alex', chair: 'Maya' };

  it('describes events as sentences about people', () => {
    expect(describeEvent(event(1, 'floor_granted', { seat: 'a' }), names)).toEqual({ who: 'Sam', text: 'has the floor.', spoken: false });
    expect(describeEvent(event(2, 'paraphrase_rejected', { seat: 'a' }), names).text).toBe('“Not quite.”');
    expect(describeEvent(event(3, 'paused', { actor: { user_id: 6, role: 'b' } }), names)).toMatchObject({ who: 'Alex', text: 'called a break.' });
    expect(describeEvent(event(4, 'floor_expired', { seat: 'b', actor: { user_id: 0, role: 'system' } }), names).who).toBe('Alex');
  });

  it('says where the floor stands', () => {
    expect(floorSentence(fresh(), names)).toBe('No one has the floor.');
    expect(floorSentence(fresh(3, { holder: 'a', phase: 'speaking' }), names)).toBe('Sam is speaking; Alex is listening.');
    expect(floorSentence(fresh(4, { holder: 'a', phase: 'paraphrase' }), names)).toBe('Alex is saying back what Sam said.');
    expect(floorSentence(fresh(5, { holder: 'a', phase: 'confirm' }), names)).toBe('Sam is checking Alex’s paraphrase.');
    expect(floorSentence(fresh(6, { mode: 'turns', holder: 'b' }), names)).toBe('Alex has the floor.');
    expect(floorSentence(fresh(7, { paused: true, paused_by: 'b' }), names)).toBe('On a break, called by Alex.');
  });

  it.each([
    [false, undefined, names, 'The partners’ typing is not shown: their words appear when they send them.'],
    [true, undefined, names, 'The partners’ typing is shown to the room as they write.'],
    [false, 'a', names, 'Your typing is not shown to Alex or Maya: they read your words when you send them.'],
    [true, 'b', names, 'Your typing is shown to Sam and Maya as you write.'],
    [true, 'a', { ...names, chair: 'The therapist' }, 'Your typing is shown to Alex and your therapist as you write.'],
  ] as const)('says whether typing is shown (shown: %s, seat: %s)', (shown, me, roomNames, sentence) => {
    expect(typingSentence(fresh(1, { show_drafts: shown }), roomNames, me)).toBe(sentence);
  });

  it("speaks to a partner about themselves on their own screen", () => {
    const names = { a: 'Sam', b: 'Alex', chair: 'Dr. Okafor' };
    const cases: [LiveState, 'a' | 'b', string][] = [
      [fresh(1, { mode: 'turns', holder: 'a' }), 'a', 'You have the floor.'],
      [fresh(1, { mode: 'turns', holder: 'a' }), 'b', 'Sam has the floor.'],
      [fresh(2, { holder: 'a', phase: 'speaking' }), 'a', 'You are speaking; Alex is listening.'],
      [fresh(2, { holder: 'a', phase: 'speaking' }), 'b', 'Sam is speaking; you are listening.'],
      [fresh(3, { holder: 'a', phase: 'paraphrase' }), 'a', 'Alex is saying back what you said.'],
      [fresh(3, { holder: 'a', phase: 'paraphrase' }), 'b', 'You are saying back what Sam said.'],
      [fresh(4, { holder: 'a', phase: 'confirm' }), 'a', 'You are checking Alex’s paraphrase.'],
      [fresh(4, { holder: 'a', phase: 'confirm' }), 'b', 'Sam is checking your paraphrase.'],
      [fresh(5, { paused: true, paused_by: 'b' }), 'b', 'On a break, called by you.'],
    ];
    for (const [state, me, sentence] of cases) expect(floorSentence(state, names, me)).toBe(sentence);
  });

  it('announces the countdown at the start and near the end only', () => {
    expect(countdownAnnouncement(null, 120_000, true)).toBe('2 minutes on the clock.');
    expect(countdownAnnouncement(61_000, 60_000, false)).toBeNull();
    expect(countdownAnnouncement(30_400, 29_900, false)).toBe('30 seconds left.');
    expect(countdownAnnouncement(29_000, 28_000, false)).toBeNull();
    expect(countdownAnnouncement(10_100, 9_900, false)).toBe('10 seconds left.');
    expect(countdownAnnouncement(400, -100, false)).toBe('Time is up.');
    expect(clock(65_000)).toBe('1:05');
    expect(clock(-3_000)).toBe('0:00');
  });
});
