import { describe, expect, it } from 'vitest';
import { answerText } from './answers';

describe('answerText', () => {
  it.each([
    ['text', 'As written', 'As written'],
    ['a number', 0, '0'],
    ['a list', ['One', 'Two'], 'One\nTwo'],
    ['nothing', undefined, ''],
    ['an empty list', [], ''],
  ])('reads %s', (_, value, want) => {
    expect(answerText(value as string)).toBe(want);
  });
});
