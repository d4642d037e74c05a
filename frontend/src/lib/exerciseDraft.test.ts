import { describe, expect, it } from 'vitest';
import { blankField, draftProblem, keyFromLabel, toFields } from './exerciseDraft';

describe('exercise drafts', () => {
  it('makes unique snake_case keys from labels', () => {
    expect(keyFromLabel('What you did, in plain words', new Set())).toBe('what_you_did_in_plain_words');
    expect(keyFromLabel('Notes', new Set(['notes']))).toBe('notes_2');
    expect(keyFromLabel('3 things', new Set())).toBe('question_3_things');
    expect(keyFromLabel('¿?', new Set())).toBe('question');
  });

  it('sends only the settings each kind of question uses', () => {
    const fields = toFields([
      { ...blankField('scale'), label: 'How safe do you feel?', min: '0', max: '10', options: 'ignored', maxLength: '50' },
      { ...blankField('checklist'), key: 'kept', label: 'Which did you do?', options: 'Called\n\n Wrote \n', min: '1' },
      { ...blankField('short_text'), label: 'One word', maxLength: '40', required: false, help: '  ' },
    ]);

    expect(fields).toEqual([
      { key: 'how_safe_do_you_feel', kind: 'scale', label: 'How safe do you feel?', required: true, min: 0, max: 10 },
      { key: 'kept', kind: 'checklist', label: 'Which did you do?', required: true, options: ['Called', 'Wrote'] },
      { key: 'one_word', kind: 'short_text', label: 'One word', required: false, max_length: 40 },
    ]);
  });

  it('names the first thing to fix in plain words', () => {
    const base = { title: 'Repair', summary: '', who: 'both_together' as const, default_visibility: 'therapist' as const };

    expect(draftProblem({ ...base, title: ' ' }, [blankField()])).toEqual({ index: -1, text: 'Give the exercise a title.' });
    expect(draftProblem(base, [{ ...blankField(), label: 'Fine' }, blankField()])).toEqual({
      index: 1,
      text: 'Question 2 needs its wording.',
    });
    expect(draftProblem(base, [{ ...blankField('checklist'), label: 'Pick', options: 'Only one' }])?.text).toBe(
      'Question 1: a checklist needs at least two options, one per line.',
    );
    expect(draftProblem(base, [{ ...blankField('scale'), label: 'Rate', max: '7.5' }])?.text).toBe(
      'Question 1: the highest must be a whole number.',
    );
    expect(draftProblem(base, [{ ...blankField(), label: 'Fine' }])).toBeNull();
  });
});
