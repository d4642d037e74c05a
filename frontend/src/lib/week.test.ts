import { describe, expect, it } from 'vitest';
import { weekDays } from './week';
import { localDay } from './format';

describe('the calendar week', () => {
  it('runs Monday to Sunday around any day, Sundays included', () => {
    expect(weekDays(new Date(2026, 2, 5, 15, 30)).map(localDay)).toEqual([
      '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07', '2026-03-08',
    ]);
    expect(localDay(weekDays(new Date(2026, 2, 8))[0])).toBe('2026-03-02');
  });
});
