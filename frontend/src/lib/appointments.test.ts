import { describe, expect, it } from 'vitest';
import type { Appointment } from './api';
import { ApiError } from './api';
import { attendanceChoices, bookingProblem, describeAppointment, mayChange, nextSessionLine } from './appointments';

function appointment(over: Partial<Appointment> = {}): Appointment {
  return {
    id: 1, couple_id: 2, couple_label: 'Rivera & Chen', therapist_id: 7, therapist_name: 'Dana Ames',
    starts_at: '2031-03-04T10:00:00Z', ends_at: '2031-03-04T10:50:00Z', time_zone: 'UTC', kind: 'video',
    room_id: null, room_name: null, series_id: null, status: 'scheduled', cancelled_at: null, attendance: null,
    attendance_recorded_at: null, live_session_id: null, version: 1, created_at: '', updated_at: '', ...over,
  };
}

describe('appointments', () => {
  it('names the therapist and the kind', () => {
    expect(describeAppointment(appointment())).toMatch(/^Video session with Dana Ames, /);
    expect(describeAppointment(appointment({ kind: 'in_person', room_name: 'Room 2' }))).toMatch(/In person .* · Room 2$/);
  });

  it.each([
    ['a therapist, their own session', 'therapist', 7, true],
    ["a therapist, a colleague's session", 'therapist', 8, false],
    ['the front desk', 'front_desk', 8, true],
    ['an administrator', 'admin', 8, true],
    ['a partner', 'client', 7, false],
  ] as const)('offers changes to %s', (_, role, me, want) => {
    expect(mayChange(appointment(), role, me)).toBe(want);
  });

  it('offers cancellations before the start and attendance after it, once', () => {
    const now = new Date('2031-03-04T10:05:00Z');
    expect(attendanceChoices(appointment(), now)).toEqual(['attended', 'no_show']);
    expect(attendanceChoices(appointment({ starts_at: '2031-03-05T10:00:00Z' }), now)).toEqual(['cancelled', 'late_cancel']);
    expect(attendanceChoices(appointment({ attendance: 'attended' }), now)).toEqual([]);
    expect(attendanceChoices(appointment({ status: 'cancelled' }), now)).toEqual([]);
  });

  it('puts a double booking next to the field the server names', () => {
    const clash = new ApiError(409, 'conflict', 'Dana Ames already has an appointment from 10:00 to 10:50 on Tuesday 4 March 2031.', undefined, 'starts_at');
    expect(bookingProblem(clash, ['starts_at', 'room_id'])).toEqual({ field: 'starts_at', text: clash.message });
    expect(bookingProblem(clash, ['room_id']).field).toBe('');
    expect(bookingProblem(new Error('x'), ['starts_at']).field).toBe('');
  });

  it("says the caseload's next session is the reader's own, or whose it is", () => {
    const now = new Date('2031-03-01T00:00:00Z');
    const colleague = appointment({ id: 2, therapist_id: 8, therapist_name: 'Lee Park', starts_at: '2031-03-02T10:00:00Z' });
    const own = appointment({ id: 3, starts_at: '2031-03-09T10:00:00Z' });
    expect(nextSessionLine([colleague, own], 7, now)).toMatch(/^Your next session /);
    expect(nextSessionLine([colleague], 7, now)).toMatch(/^Next session .* with Lee Park$/);
    expect(nextSessionLine([appointment({ starts_at: '2031-02-01T10:00:00Z' })], 7, now)).toBe('No session booked');
  });
});
