import { describe, expect, it } from 'vitest';
import { visibilities, visibilityForAuthor, whoSeesSentence } from './visibility';

describe('visibility wording', () => {
  it('names the people who will see an answer, narrowest first', () => {
    expect(visibilities.map((v) => visibilityForAuthor[v])).toEqual([
      'Only you',
      'You and your therapist',
      'You, your therapist and your partner',
    ]);
  });

  it('confirms who sees an item in a sentence', () => {
    expect(whoSeesSentence('private')).toBe('Only you can see this.');
    expect(whoSeesSentence('partner')).toBe('You, your therapist and your partner can see this.');
  });
});
