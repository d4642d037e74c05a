import { describe, expect, it } from 'vitest';
import { newPasswordProblem } from './passwords';

describe('newPasswordProblem', () => {
  it.each([
    ['nothing typed', '', '', { text: 'Choose a new password.', field: 'password' }],
    ['the two differ', 'a long passphrase', 'a long passphrase!', { text: 'The two passwords are not the same. Type the same password in both boxes.', field: 'repeat' }],
    ['the same twice', 'a long passphrase', 'a long passphrase', null],
  ])('%s', (_name, password, repeat, want) => {
    expect(newPasswordProblem(password, repeat)).toEqual(want);
  });
});
