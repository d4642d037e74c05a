import type { Refusal } from './messages';

/** The fields of a new password typed twice, as a refusal names them. */
export const newPasswordFields = ['password', 'repeat'];

/**
 * Why a new password typed twice cannot be sent yet, pointing at the box to fix, or null when it
 * can. The rules on length are the server's; it answers with its own words.
 */
export function newPasswordProblem(password: string, repeat: string): Refusal | null {
  if (password === '') return { text: 'Choose a new password.', field: 'password' };
  if (password !== repeat) return { text: 'The two passwords are not the same. Type the same password in both boxes.', field: 'repeat' };
  return null;
}
