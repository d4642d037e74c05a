import { describe, expect, it } from 'vitest';
import type { TimeOff } from './api';
import { awayOn } from './timeoff';

const off = (therapist_id: number, first_day: string, last_day: string): TimeOff => ({
  id: therapist_id,
  therapist_id,
  therapist_name: `Therapist ${therapist_id}`,
  first_day,
  last_day,
  reason: '',
  starts_at: `${first_day}T00:00:00Z`,
  ends_at: `${last_day}T23:59:59Z`,
  created_at: '2031-01-01T00:00:00Z',
});

describe('time off on a day', () => {
  const list = [off(3, '2031-04-07', '2031-04-08'), off(4, '2031-04-10', '2031-04-10')];
  it.each([
    ['the first day', '2031-04-07', 3, 3],
    ['the last day', '2031-04-08', 3, 3],
    ['the day after', '2031-04-09', 3, undefined],
    ['the day before', '2031-04-06', 3, undefined],
    ['another therapist’s day', '2031-04-10', 3, undefined],
    ['anyone’s day', '2031-04-10', undefined, 4],
  ])('%s', (_, day, therapist, want) => {
    expect(awayOn(list, day, therapist)?.therapist_id).toBe(want);
  });
});
