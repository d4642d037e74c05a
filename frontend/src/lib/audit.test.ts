import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { actionChoices, actionSentence, entryCount } from './audit';

/** Every object.action of the access table: what the server records a request as. */
function policyActions(): string[] {
  const table = readFileSync(resolve(__dirname, '../../../policy/policy.csv'), 'utf8');
  const actions = table
    .split('\n')
    .filter((line) => line.startsWith('p,'))
    .map((line) => {
      const [, , , object, action] = line.split(',').map((part) => part.trim());
      return `${object}.${action}`;
    });
  return [...new Set(actions)];
}

describe('audit log wording', () => {
  it('says every action of the access table, and accepting an invitation, in words', () => {
    const known = new Set(actionChoices().flatMap((group) => group.actions.map((a) => a.code)));
    const missing = [...policyActions(), 'invite.accept'].filter((code) => !known.has(code));
    expect(missing).toEqual([]);
  });

  it.each([
    ['couple.read', 'Opened a couple’s record'],
    ['audit_log.list', 'Viewed the audit log'],
    ['note.sign', 'Signed a clinical note'],
    ['couple.archive', 'Archive: couples'],
  ])('reads %s as %s', (code, words) => {
    expect(actionSentence(code)).toBe(words);
  });

  it.each([
    [0, '0 entries'],
    [1, '1 entry'],
    [25, '25 entries'],
  ])('counts %i as %s', (n, words) => {
    expect(entryCount(n)).toBe(words);
  });
});
