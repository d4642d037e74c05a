/**
 * Why a new password typed twice cannot be sent yet, or "" when it can. The rules on length are the
 * server's; it answers with its own words.
 */
export function newPasswordProblem(password: string, repeat: string): string {
  if (password === '') return 'Choose a new password.';
  if (password !== repeat) return 'The two passwords are not the same. Type the same password in both boxes.';
  return '';
}
