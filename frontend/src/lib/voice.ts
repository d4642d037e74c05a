// What the voice part of a live room means for the people in it, derived from what the server
// says: media_state for who is heard and speaking now, spoken_interruption events for who tried
// to speak out of turn. The server's forwarding rule decides; these only put it into words.
import type { LiveEvent, LiveRole, LiveState, Seat } from './api';
import type { MediaParticipant, RoomNames } from './live';

/** Whether a partner's voice reaches the room now, and why not, in words. */
export interface Hearing {
  heard: boolean;
  text: string;
}

function otherSeat(seat: Seat): Seat {
  return seat === 'a' ? 'b' : 'a';
}

/**
 * A partner's heard state from the server's media_state for their own role; null while they send
 * no audio (not joined, or the server has not described them yet).
 */
export function hearing(media: MediaParticipant[], seat: Seat, state: LiveState | null, names: RoomNames): Hearing | null {
  const own = media.find((participant) => participant.role === seat);
  if (!own || !own.audio) return null;
  if (own.heard) return { heard: true, text: 'You can be heard now' };
  return { heard: false, text: `You are not heard — ${notHeardReason(seat, state, names)}` };
}

function notHeardReason(seat: Seat, state: LiveState | null, names: RoomNames): string {
  if (state?.paused) return 'the session is on a break';
  if (state?.holder === seat) return `${names[otherSeat(seat)]} is saying back what you said`;
  if (state?.holder) return `${names[state.holder]} has the floor`;
  return 'no one has the floor yet';
}

/** Events that move the floor: a spoken interruption before the latest of them is old news. */
const floorMoves = new Set([
  'floor_granted',
  'floor_yielded',
  'floor_expired',
  'floor_revoked',
  'floor_skipped',
  'paraphrase_confirmed',
  'paused',
  'resumed',
  'ended',
]);

/**
 * The gentle notice for a partner who spoke out of turn: shown after their latest spoken
 * interruption until the floor next moves. Null when there is nothing to say.
 */
export function interruptionNotice(transcript: LiveEvent[], seat: Seat, state: LiveState | null, names: RoomNames): string | null {
  if (state === null || state.ended) return null;
  let latest = -1;
  transcript.forEach((event, index) => {
    if (event.type === 'spoken_interruption' && event.seat === seat) latest = index;
  });
  if (latest < 0 || transcript.slice(latest + 1).some((event) => floorMoves.has(event.type))) return null;
  if (state.paused) return 'The session is on a break — you can speak when it carries on';
  if (state.holder === otherSeat(seat)) return `${names[state.holder]} has the floor — you're next in the queue`;
  return null;
}

/** Spoken interruptions so far, per seat, counted from the transcript (which holds every event). */
export function spokenInterruptions(transcript: LiveEvent[]): Record<Seat, number> {
  const counts: Record<Seat, number> = { a: 0, b: 0 };
  for (const event of transcript) {
    if (event.type === 'spoken_interruption' && (event.seat === 'a' || event.seat === 'b')) counts[event.seat] += 1;
  }
  return counts;
}

/** The transcript a participant sees: a partner's spoken interruption is shown to them and the chair only. */
export function transcriptFor(transcript: LiveEvent[], role: LiveRole): LiveEvent[] {
  if (role === 'chair') return transcript;
  return transcript.filter((event) => event.type !== 'spoken_interruption' || event.seat === role);
}
