// Dates and times as people read them, in the browser's language.

/** "Tue 3 Mar 2026" for a YYYY-MM-DD day (a calendar day, not an instant). */
export function formatDay(day: string): string {
  const date = new Date(`${day}T12:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return date.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

/** A calendar day without its weekday, short enough for a chart's axis: "3 Mar 2026". */
export function formatShortDay(day: string): string {
  const date = new Date(`${day}T12:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return date.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

/** "3 Mar 2026, 14:05" for an RFC 3339 instant, in the reader's time zone. */
export function formatDateTime(instant: string): string {
  const date = new Date(instant);
  if (Number.isNaN(date.getTime())) return instant;
  return date.toLocaleString(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** "14:05" for an RFC 3339 instant, in the reader's time zone. */
export function formatTime(instant: string | Date): string {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** The local calendar day of a Date, as YYYY-MM-DD. */
export function localDay(date: Date): string {
  const month = String(date.getMonth() + 1).padStart(2, '0');
  const day = String(date.getDate()).padStart(2, '0');
  return `${date.getFullYear()}-${month}-${day}`;
}

/** Turns a value of <input type="date"> (a local day) into the RFC 3339 start or end of that day. */
export function dayBoundary(day: string, end: boolean): string | undefined {
  if (day === '') return undefined;
  const date = new Date(`${day}T00:00:00`);
  if (Number.isNaN(date.getTime())) return undefined;
  if (end) date.setDate(date.getDate() + 1);
  return date.toISOString();
}

/** "Sam Rivera" for an id among people, or a neutral phrase when they are unknown. */
export function personName(people: { user_id: number; name: string }[], userID: number | null | undefined): string {
  return people.find((p) => p.user_id === userID)?.name ?? 'Someone';
}

/** Text with its first letter a capital: "first partner" -> "First partner". */
export function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
