// Which time off covers a day of the calendar.
import type { TimeOff } from './api';

/** The time off of therapist (anyone's when left out) that covers day ("2031-04-07"), if any. */
export function awayOn(list: TimeOff[], day: string, therapist?: number): TimeOff | undefined {
  return list.find((t) => (therapist === undefined || t.therapist_id === therapist) && t.first_day <= day && day <= t.last_day);
}
