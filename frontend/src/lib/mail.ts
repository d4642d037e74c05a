import type { MailPreferences } from './api';

/** The kinds of optional mail, in the words the settings screen uses. */
export const mailTopics: { key: keyof MailPreferences; label: string; help: string }[] = [
  { key: 'invitations', label: 'Invitations', help: 'When a practice invites you to join it.' },
  { key: 'reminders', label: 'Appointment reminders', help: 'Before each appointment, with a calendar file.' },
  { key: 'exercises', label: 'Exercises', help: 'When an exercise is assigned to you or your therapist has reviewed it.' },
  { key: 'digest', label: 'Daily review digest', help: 'For therapists: once a day when work is waiting for review.' },
];

/** Words for the topic an unsubscribe link turned off. */
export function topicWords(topic: string): string {
  return mailTopics.find((t) => t.key === topic)?.label.toLowerCase() ?? 'this kind of mail';
}

/**
 * Reads reminder lead times written in hours ("24, 2" or "1.5") as minutes, largest first.
 * Returns an error message instead when the text is not a list of 1 to 5 times between 5 minutes
 * and 7 days; an empty text means no reminders.
 */
export function parseLeadHours(text: string): number[] | string {
  const parts = text
    .split(/[,\s]+/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length > 5) return 'Give at most five reminder times.';
  const minutes: number[] = [];
  for (const part of parts) {
    const hours = Number(part);
    const value = Math.round(hours * 60);
    if (!/^\d+(\.\d+)?$/.test(part) || value < 5 || value > 7 * 24 * 60) {
      return `"${part}" is not a number of hours between 0.1 and 168.`;
    }
    if (!minutes.includes(value)) minutes.push(value);
  }
  return minutes.sort((a, b) => b - a);
}

/** Writes lead times in minutes as hours, the way parseLeadHours reads them. */
export function formatLeadHours(minutes: number[]): string {
  return [...minutes]
    .sort((a, b) => b - a)
    .map((m) => String(Math.round((m / 60) * 100) / 100))
    .join(', ');
}
