import { describe, expect, it } from 'vitest';
import type { PartnerProgress, Progress } from './api';
import { chartTable, checkinSeries, latestInWords, measureSeries, niceTicks, plot, rateSeries } from './charts';

function partner(user_id: number, name: string, seat: 'a' | 'b', extra: Partial<PartnerProgress> = {}): PartnerProgress {
  const empty = { done: 0, total: 0, rate: null, weeks: [] };
  return { user_id, name, seat, checkins: [], measures: [], commitments: empty, exercises: empty, ...extra };
}

function progress(partners: PartnerProgress[]): Progress {
  return { couple_id: 1, today: '2026-03-10', questionnaires: [], partners };
}

describe('chart data', () => {
  it('makes one series per partner in seat order, days in order', () => {
    const data = progress([
      partner(6, 'Alex Chen', 'b', { checkins: [{ day: '2026-03-02', trust: 4, safety: 6 }] }),
      partner(5, 'Sam Rivera', 'a', {
        checkins: [
          { day: '2026-03-03', trust: 7, safety: 8 },
          { day: '2026-03-01', trust: 5, safety: 6 },
        ],
      }),
    ]);

    expect(checkinSeries(data, 'trust')).toEqual([
      { label: 'Sam Rivera', points: [{ day: '2026-03-01', value: 5 }, { day: '2026-03-03', value: 7 }] },
      { label: 'Alex Chen', points: [{ day: '2026-03-02', value: 4 }] },
    ]);
    expect(latestInWords(checkinSeries(data, 'safety'))).toBe('Sam Rivera 8 most recently; Alex Chen 6 most recently.');
  });

  it('keeps one questionnaire at a time, dated by the day it was taken', () => {
    const data = progress([
      partner(5, 'Sam Rivera', 'a', {
        measures: [
          { measure_key: 'csi4', taken_at: '2026-03-04T18:00:00Z', score: 12, below_cutoff: true },
          { measure_key: 'other', taken_at: '2026-03-05T18:00:00Z', score: 3, below_cutoff: false },
        ],
      }),
    ]);

    expect(measureSeries(data, 'csi4')).toEqual([{ label: 'Sam Rivera', points: [{ day: '2026-03-04', value: 12 }] }]);
  });

  it('plots one score per day, the last taken, when a questionnaire is answered again the same day', () => {
    const data = progress([
      partner(5, 'Sam Rivera', 'a', {
        measures: [
          { measure_key: 'csi4', taken_at: '2026-03-03T09:00:00Z', score: 9, below_cutoff: true },
          { measure_key: 'csi4', taken_at: '2026-03-04T08:00:00Z', score: 10, below_cutoff: true },
          { measure_key: 'csi4', taken_at: '2026-03-04T18:00:00Z', score: 14, below_cutoff: false },
        ],
      }),
    ]);

    expect(measureSeries(data, 'csi4')).toEqual([
      { label: 'Sam Rivera', points: [{ day: '2026-03-03', value: 9 }, { day: '2026-03-04', value: 14 }] },
    ]);
  });

  it('shows weekly kept rates as whole percentages and leaves out weeks with nothing recorded', () => {
    const data = progress([
      partner(5, 'Sam Rivera', 'a', {
        commitments: {
          done: 3,
          total: 4,
          rate: 0.75,
          weeks: [
            { week_start: '2026-03-02', done: 2, total: 3, rate: 2 / 3 },
            { week_start: '2026-03-09', done: 0, total: 0, rate: null },
            { week_start: '2026-03-16', done: 1, total: 1, rate: 1 },
          ],
        },
      }),
    ]);

    expect(rateSeries(data, 'commitments')).toEqual([
      { label: 'Sam Rivera', points: [{ day: '2026-03-02', value: 67 }, { day: '2026-03-16', value: 100 }] },
    ]);
  });

  it('lays the same data out as a table with gaps where a partner did not check in', () => {
    const rows = chartTable([
      { label: 'Sam', points: [{ day: '2026-03-01', value: 5 }, { day: '2026-03-03', value: 7 }] },
      { label: 'Alex', points: [{ day: '2026-03-02', value: 4 }] },
    ]);

    expect(rows).toEqual([
      { day: '2026-03-01', values: [5, null] },
      { day: '2026-03-02', values: [null, 4] },
      { day: '2026-03-03', values: [7, null] },
    ]);
  });

  it('places the first day at the left edge, the last at the right, and the scale bottom to top', () => {
    const frame = { width: 300, height: 120, left: 30, right: 10, top: 10, bottom: 10, yMin: 0, yMax: 10 };
    const { series, yTicks, xTicks } = plot(
      [{ label: 'Sam', points: [{ day: '2026-03-01', value: 0 }, { day: '2026-03-03', value: 10 }, { day: '2026-03-02', value: 5 }] }],
      frame,
    );

    expect(series[0].points.map((p) => [p.x, p.y])).toEqual([[30, 110], [290, 10], [160, 60]]);
    expect(series[0].path).toBe('M30,110 L290,10 L160,60');
    expect(yTicks[0]).toEqual({ value: 0, y: 110 });
    expect(yTicks[5]).toEqual({ value: 10, y: 10 });
    expect(xTicks.map((t) => t.day)).toEqual(['2026-03-01', '2026-03-03']);
  });

  it.each([
    [0, 10, [0, 2, 4, 6, 8, 10]],
    [0, 21, [0, 5, 10, 15, 20]],
    [0, 27, [0, 5, 10, 15, 20, 25]],
    [0, 100, [0, 20, 40, 60, 80, 100]],
    [0, 4, [0, 1, 2, 3, 4]],
    [0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [3, 17, [4, 6, 8, 10, 12, 14, 16]],
    [-10, 10, [-10, -5, 0, 5, 10]],
    [5, 5, [5]],
  ])('puts the scale’s ticks at round values from %s to %s', (min, max, ticks) => {
    expect(niceTicks(min, max)).toEqual(ticks);
  });

  it('anchors the first day’s label at its start and the last day’s at its end, so neither is cut off', () => {
    const frame = { width: 300, height: 120, left: 30, right: 10, top: 10, bottom: 10, yMin: 0, yMax: 10 };
    const two = plot([{ label: 'Sam', points: [{ day: '2026-03-01', value: 1 }, { day: '2026-03-09', value: 2 }] }], frame);
    expect(two.xTicks).toEqual([
      { day: '2026-03-01', x: 30, anchor: 'start' },
      { day: '2026-03-09', x: 290, anchor: 'end' },
    ]);
    const one = plot([{ label: 'Sam', points: [{ day: '2026-03-01', value: 1 }] }], frame);
    expect(one.xTicks).toEqual([{ day: '2026-03-01', x: 160, anchor: 'middle' }]);
  });

  it('places a threshold line at its value and leaves out one outside the scale', () => {
    const frame = { width: 300, height: 120, left: 30, right: 10, top: 10, bottom: 10, yMin: 0, yMax: 20 };
    const { thresholds } = plot([{ label: 'Sam', points: [{ day: '2026-03-01', value: 12 }] }], frame, [
      { value: 13.5, label: 'Distress cut-off' },
      { value: 25, label: 'Off the scale' },
    ]);
    expect(thresholds).toEqual([{ value: 13.5, label: 'Distress cut-off', y: 42.5 }]);
  });

  it('centres a single day instead of dividing by zero', () => {
    const frame = { width: 200, height: 100, left: 0, right: 0, top: 0, bottom: 0, yMin: 0, yMax: 10 };
    const { series } = plot([{ label: 'Sam', points: [{ day: '2026-03-01', value: 20 }] }], frame);

    expect(series[0].points[0]).toMatchObject({ x: 100, y: 0 });
  });
});
