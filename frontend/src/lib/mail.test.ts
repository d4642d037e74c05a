import { describe, expect, it } from 'vitest';
import { formatLeadHours, parseLeadHours, topicWords } from './mail';

describe('parseLeadHours', () => {
  it.each([
    ['24, 2', [1440, 120]],
    ['2 24', [1440, 120]],
    ['1.5', [90]],
    ['24, 24', [1440]],
    ['', []],
  ])('reads %j as %j minutes', (text, minutes) => {
    expect(parseLeadHours(text)).toEqual(minutes);
  });

  it.each(['tomorrow', '-2', '0', '200', '1, 2, 3, 4, 5, 6'])('refuses %j with a message', (text) => {
    expect(typeof parseLeadHours(text)).toBe('string');
  });

  it('writes back what it reads', () => {
    expect(formatLeadHours([120, 1440, 90])).toBe('24, 2, 1.5');
    expect(parseLeadHours(formatLeadHours([1440, 120]))).toEqual([1440, 120]);
  });
});

describe('topicWords', () => {
  it('names known topics and falls back for others', () => {
    expect(topicWords('reminders')).toBe('appointment reminders');
    expect(topicWords('unknown')).toBe('this kind of mail');
  });
});
