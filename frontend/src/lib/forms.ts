// Forms in words: what each status means to the people reading it.
import type { Form, FormStatus } from './api';

export const formStatusWords: Record<FormStatus, string> = {
  sent: 'Waiting',
  in_progress: 'Started',
  submitted: 'Handed in',
  signed: 'Signed',
};

/** Whether a form still waits for its partner's answers. */
export function formWaits(form: Form): boolean {
  return form.status === 'sent' || form.status === 'in_progress';
}
