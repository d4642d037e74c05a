// Appointments as people read them, and which actions a screen offers on one. The server decides
// every rule; these only choose which buttons make sense to show.
import type { Appointment, AppointmentKind, Attendance, Role } from './api';
import { ApiError } from './api';
import { formatDateTime, formatTime } from './format';
import { explain } from './messages';

export const kindWords: Record<AppointmentKind, string> = {
  in_person: 'In person',
  video: 'Video',
  phone: 'Phone',
};

export const attendanceWords: Record<Attendance, string> = {
  attended: 'Attended',
  no_show: 'No-show',
  late_cancel: 'Late cancellation',
  cancelled: 'Cancelled',
};

/** "Video session with Dr Ames, 3 Mar 2031, 10:00–10:50 · Room 2". */
export function describeAppointment(a: Appointment): string {
  const room = a.room_name ? ` · ${a.room_name}` : '';
  return `${kindWords[a.kind]} session with ${a.therapist_name}, ${formatDateTime(a.starts_at)}–${formatTime(a.ends_at)}${room}`;
}

/**
 * Whether the reader may change (move, cancel, record attendance of) the appointment here:
 * administrators and the front desk for the whole practice, a therapist only their own sessions,
 * never a colleague's.
 */
export function mayChange(a: Appointment, role: Role | undefined, me: number): boolean {
  if (role === 'admin' || role === 'front_desk') return true;
  return role === 'therapist' && a.therapist_id === me;
}

/** The attendance choices that fit the appointment now: before its start, the cancellations; after, came or not. */
export function attendanceChoices(a: Appointment, now: Date): Attendance[] {
  if (a.status !== 'scheduled' || a.attendance) return [];
  return Date.parse(a.starts_at) <= now.getTime() ? ['attended', 'no_show'] : ['cancelled', 'late_cancel'];
}

/** A refusal placed next to the form field it names, or above the form when it names none of them. */
export interface FieldMessage {
  field: string;
  text: string;
}

/** Where a booking refusal goes: beside the field the server named (a double booking names starts_at or room_id). */
export function bookingProblem(caught: unknown, fields: string[]): FieldMessage {
  const field = caught instanceof ApiError && caught.field && fields.includes(caught.field) ? caught.field : '';
  return { field, text: explain(caught) };
}

/** Sorts appointments by their start. */
export function byStart(a: Appointment, b: Appointment): number {
  return Date.parse(a.starts_at) - Date.parse(b.starts_at);
}

/**
 * The caseload's line about a couple's next session: the reader's own next one, or, when they have
 * none, the couple's next session with a colleague, named as such.
 */
export function nextSessionLine(list: Appointment[], me: number, now: Date): string {
  const coming = list.filter((a) => a.status === 'scheduled' && Date.parse(a.starts_at) >= now.getTime()).sort(byStart);
  const own = coming.find((a) => a.therapist_id === me);
  if (own) return `Your next session ${formatDateTime(own.starts_at)}`;
  const other = coming[0];
  return other ? `Next session ${formatDateTime(other.starts_at)} with ${other.therapist_name}` : 'No session booked';
}
