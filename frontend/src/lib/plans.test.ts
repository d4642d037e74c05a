import { describe, expect, it } from 'vitest';
import { copyContent, emptyGoal, lines, planToSend } from './plans';

describe('plans', () => {
  it('reads a list written one item a line, leaving out blank lines', () => {
    expect(lines('  Broken trust \n\nMoney worries\n')).toEqual(['Broken trust', 'Money worries']);
  });

  it('sends empty dates as none and leaves out objectives never filled in', () => {
    const goal = { ...emptyGoal(), text: 'Trust', target_on: '' };
    goal.objectives.push({ text: 'Check in weekly', measure: '', target_on: '2027-01-31' });
    expect(planToSend({ problems: ['Distance', ' '], goals: [goal], review_on: '', reviewed_with_couple_on: '2026-12-01' })).toEqual({
      problems: ['Distance'],
      goals: [
        { text: 'Trust', target_on: null, objectives: [{ text: 'Check in weekly', measure: '', target_on: '2027-01-31' }], interventions: [] },
      ],
      review_on: null,
      reviewed_with_couple_on: '2026-12-01',
    });
  });

  it('copies a version to revise, so the signed one never changes', () => {
    const signed = { problems: ['Distance'], goals: [emptyGoal()], review_on: null, reviewed_with_couple_on: null };
    const revision = copyContent(signed);
    revision.problems.push('Money');
    revision.goals[0].text = 'Changed';
    expect(signed.problems).toEqual(['Distance']);
    expect(signed.goals[0].text).toBe('');
  });
});
