// Reading answers back: an exercise's or a form's answer as text, for the people who may read it.
import type { Answers } from './api';

/** An answer as text, lists one item a line; empty when nothing was answered. */
export function answerText(value: Answers[string] | undefined): string {
  if (value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)) return '';
  return Array.isArray(value) ? value.join('\n') : String(value);
}
