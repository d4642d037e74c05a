import { describe, expect, it } from 'vitest';
import { newPasswordProblem } from './passwords';

describe('newPasswordProblem', () => {
  it.each([
    ['nothing typed', '', '', 'Choose a new password.'],
    ['the two differ', 'a long passphrase', 'a long passphrase!', 'The two passwords are not the same. Type the same password in both boxes.'],
    ['the same twice', 'a long passphrase', 'a long passphrase', ''],
  ])('%s', (_name, password, repeat, want) => {
    expect(newPasswordProblem(password, repeat)).toBe(want);
  });
});
