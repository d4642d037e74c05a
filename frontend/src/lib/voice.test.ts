import { describe, expect, it } from 'vitest';
import type { LiveEvent, LiveState, Seat } from './api';
import type { MediaParticipant } from './live';
import { hearing, interruptionNotice, spokenInterruptions, transcriptFor } from './voice';

const names = { a: 'Sam', b: 'Alex', chair: 'Maya' };
const at = '2026-03-04T17:00:00Z';

function floor(change: Partial<LiveState> = {}): LiveState {
  return {
    seq: 1,
    mode: 'turns',
    turn_seconds: 120,
    min_break_seconds: 60,
    paused: false,
    ended: false,
    talk_ms: { a: 0, b: 0 },
    utterances: { a: 0, b: 0 },
    ...change,
  };
}

function participant(role: 'chair' | Seat, change: Partial<MediaParticipant> = {}): MediaParticipant {
  return { role, audio: true, video: false, heard: false, speaking: false, ...change };
}

function event(seq: number, type: LiveEvent['type'], seat?: Seat): LiveEvent {
  return { seq, type, seat, actor: { user_id: 1, role: seat ?? 'chair' }, at };
}

describe('hearing', () => {
  it.each([
    {
      name: 'the floor holder is heard',
      media: [participant('a', { heard: true }), participant('b')],
      seat: 'a' as Seat,
      state: floor({ holder: 'a' }),
      want: { heard: true, text: 'You can be heard now' },
    },
    {
      name: 'the other partner is not heard while Sam has the floor',
      media: [participant('a', { heard: true }), participant('b')],
      seat: 'b' as Seat,
      state: floor({ holder: 'a' }),
      want: { heard: false, text: 'You are not heard — Sam has the floor' },
    },
    {
      name: 'the speaker is not heard while the listener says back what they heard',
      media: [participant('a'), participant('b', { heard: true })],
      seat: 'a' as Seat,
      state: floor({ mode: 'listener', holder: 'a', phase: 'paraphrase' }),
      want: { heard: false, text: 'You are not heard — Alex is saying back what you said' },
    },
    {
      name: 'the paraphrasing listener is heard, by the server’s word',
      media: [participant('a'), participant('b', { heard: true })],
      seat: 'b' as Seat,
      state: floor({ mode: 'listener', holder: 'a', phase: 'paraphrase' }),
      want: { heard: true, text: 'You can be heard now' },
    },
    {
      name: 'no partner is heard during a break, even the holder',
      media: [participant('a'), participant('b')],
      seat: 'a' as Seat,
      state: floor({ holder: 'a', paused: true }),
      want: { heard: false, text: 'You are not heard — the session is on a break' },
    },
    {
      name: 'no one is heard before anyone has the floor',
      media: [participant('a'), participant('b')],
      seat: 'b' as Seat,
      state: floor(),
      want: { heard: false, text: 'You are not heard — no one has the floor yet' },
    },
    {
      name: 'a partner who sends no audio gets no heard state',
      media: [participant('a', { heard: true }), participant('b', { audio: false })],
      seat: 'b' as Seat,
      state: floor({ holder: 'a' }),
      want: null,
    },
    {
      name: 'a partner the server has not described yet gets no heard state',
      media: [participant('chair', { heard: true })],
      seat: 'a' as Seat,
      state: floor({ holder: 'a' }),
      want: null,
    },
  ])('$name', ({ media, seat, state, want }) => {
    expect(hearing(media, seat, state, names)).toEqual(want);
  });
});

describe('interruptionNotice', () => {
  const grantedToSam = event(1, 'floor_granted', 'a');
  it.each([
    {
      name: 'Alex spoke out of turn while Sam has the floor',
      transcript: [grantedToSam, event(2, 'spoken_interruption', 'b')],
      seat: 'b' as Seat,
      state: floor({ holder: 'a' }),
      want: "Sam has the floor — you're next in the queue",
    },
    {
      name: 'the notice stays while Alex asks for the floor',
      transcript: [grantedToSam, event(2, 'spoken_interruption', 'b'), event(3, 'floor_requested', 'b')],
      seat: 'b' as Seat,
      state: floor({ holder: 'a', queue: ['b'] }),
      want: "Sam has the floor — you're next in the queue",
    },
    {
      name: 'the other partner never sees it',
      transcript: [grantedToSam, event(2, 'spoken_interruption', 'b')],
      seat: 'a' as Seat,
      state: floor({ holder: 'a' }),
      want: null,
    },
    {
      name: 'it goes once the floor moves',
      transcript: [grantedToSam, event(2, 'spoken_interruption', 'b'), event(3, 'floor_granted', 'b')],
      seat: 'b' as Seat,
      state: floor({ holder: 'b' }),
      want: null,
    },
    {
      name: 'speaking during a break',
      transcript: [event(1, 'paused'), event(2, 'spoken_interruption', 'b')],
      seat: 'b' as Seat,
      state: floor({ paused: true }),
      want: 'The session is on a break — you can speak when it carries on',
    },
    {
      name: 'nothing was said out of turn',
      transcript: [grantedToSam],
      seat: 'b' as Seat,
      state: floor({ holder: 'a' }),
      want: null,
    },
    {
      name: 'the session has ended',
      transcript: [grantedToSam, event(2, 'spoken_interruption', 'b')],
      seat: 'b' as Seat,
      state: floor({ ended: true }),
      want: null,
    },
  ])('$name', ({ transcript, seat, state, want }) => {
    expect(interruptionNotice(transcript, seat, state, names)).toBe(want);
  });
});

describe('spoken interruptions in the transcript', () => {
  const transcript = [
    event(1, 'floor_granted', 'a'),
    event(2, 'spoken_interruption', 'b'),
    event(3, 'spoken_interruption', 'b'),
    event(4, 'floor_granted', 'b'),
    event(5, 'spoken_interruption', 'a'),
  ];

  it('counts them per seat', () => {
    expect(spokenInterruptions(transcript)).toEqual({ a: 1, b: 2 });
  });

  it.each([
    { role: 'chair' as const, seqs: [1, 2, 3, 4, 5] },
    { role: 'a' as const, seqs: [1, 4, 5] },
    { role: 'b' as const, seqs: [1, 2, 3, 4] },
  ])('shows $role only their own, and the chair all', ({ role, seqs }) => {
    expect(transcriptFor(transcript, role).map((e) => e.seq)).toEqual(seqs);
  });
});
