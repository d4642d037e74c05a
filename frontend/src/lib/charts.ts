// Turns a couple's progress (check-ins, questionnaire scores, weekly kept rates) into series of
// dated values, and series into the coordinates of a simple line chart. Pure functions: the chart
// component draws, the tests check the numbers.
import type { Progress } from './api';

export interface Point {
  /** A calendar day, YYYY-MM-DD. */
  day: string;
  value: number;
}

export interface Series {
  label: string;
  points: Point[];
}

function byDay(a: Point, b: Point): number {
  return a.day < b.day ? -1 : a.day > b.day ? 1 : 0;
}

/** Partners in seat order, so each keeps the same line style on every chart. */
function partnersInSeatOrder(progress: Progress) {
  return [...progress.partners].sort((a, b) => a.seat.localeCompare(b.seat));
}

/** One series per partner of a daily check-in score, oldest day first. */
export function checkinSeries(progress: Progress, metric: 'trust' | 'safety'): Series[] {
  return partnersInSeatOrder(progress).map((partner) => ({
    label: partner.name,
    points: partner.checkins.map((k) => ({ day: k.day, value: k[metric] })).sort(byDay),
  }));
}

/**
 * One series per partner of one questionnaire's scores, by the day each was taken. A chart has one
 * point per day, so a questionnaire answered again the same day shows that day's last score.
 */
export function measureSeries(progress: Progress, key: string): Series[] {
  return partnersInSeatOrder(progress).map((partner) => {
    const lastOfDay = new Map<string, { takenAt: number; value: number }>();
    for (const m of partner.measures.filter((m) => m.measure_key === key)) {
      const day = m.taken_at.slice(0, 10);
      const takenAt = Date.parse(m.taken_at);
      const kept = lastOfDay.get(day);
      if (!kept || kept.takenAt <= takenAt) lastOfDay.set(day, { takenAt, value: m.score });
    }
    return {
      label: partner.name,
      points: [...lastOfDay].map(([day, { value }]) => ({ day, value })).sort(byDay),
    };
  });
}

/** One series per partner of a weekly share in percent (weeks with nothing recorded are left out). */
export function rateSeries(progress: Progress, kind: 'commitments' | 'exercises'): Series[] {
  return partnersInSeatOrder(progress).map((partner) => ({
    label: partner.name,
    points: partner[kind].weeks
      .filter((w) => w.rate !== null)
      .map((w) => ({ day: w.week_start, value: Math.round((w.rate ?? 0) * 100) }))
      .sort(byDay),
  }));
}

/** Whether any series has a point to draw. */
export function hasPoints(series: Series[]): boolean {
  return series.some((s) => s.points.length > 0);
}

/** The newest value of each series in words, for the chart's short text description. */
export function latestInWords(series: Series[], unit = ''): string {
  const parts = series
    .filter((s) => s.points.length > 0)
    .map((s) => `${s.label} ${s.points[s.points.length - 1].value}${unit} most recently`);
  return parts.length === 0 ? 'No values yet.' : `${parts.join('; ')}.`;
}

export interface TableRow {
  day: string;
  /** One value per series, in series order; null where that series has no value that day. */
  values: (number | null)[];
}

/** The same data as a table: one row per day that has any value, oldest first. */
export function chartTable(series: Series[]): TableRow[] {
  const days = [...new Set(series.flatMap((s) => s.points.map((p) => p.day)))].sort();
  return days.map((day) => ({
    day,
    values: series.map((s) => s.points.find((p) => p.day === day)?.value ?? null),
  }));
}

export interface Frame {
  width: number;
  height: number;
  /** Room left for the axis labels. */
  left: number;
  right: number;
  top: number;
  bottom: number;
  yMin: number;
  yMax: number;
}

export interface PlottedPoint extends Point {
  x: number;
  y: number;
}

export interface PlottedSeries {
  label: string;
  points: PlottedPoint[];
  /** An SVG path through the points, or "" when there are none. */
  path: string;
}

/** A line across the chart at a value, such as a questionnaire's cut-off, with its name. */
export interface Threshold {
  value: number;
  label: string;
}

export interface Plot {
  series: PlottedSeries[];
  yTicks: { value: number; y: number }[];
  /** The first and last day; their labels are anchored inwards so neither runs off the chart. */
  xTicks: { day: string; x: number; anchor: 'start' | 'middle' | 'end' }[];
  /** The thresholds within the scale, placed. */
  thresholds: (Threshold & { y: number })[];
}

function dayNumber(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / 86_400_000;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * Ticks for a scale from min to max at round values (multiples of 1, 2 or 5 times a power of
 * ten), as close to target + 1 ticks as those allow, preferring fewer when two are as close.
 */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!(max > min)) return [min];
  const magnitude = Math.floor(Math.log10((max - min) / target));
  let best: number[] = [];
  for (let exponent = magnitude + 1; exponent >= magnitude - 1; exponent--) {
    for (const mantissa of [5, 2, 1]) {
      const step = mantissa * 10 ** exponent;
      const decimals = Math.max(0, -exponent);
      const ticks: number[] = [];
      for (let i = Math.ceil(min / step - 1e-9); i * step <= max + step * 1e-9; i++) {
        ticks.push(Number((i * step).toFixed(decimals)));
      }
      if (best.length === 0 || Math.abs(ticks.length - target - 1) < Math.abs(best.length - target - 1)) best = ticks;
    }
  }
  return best;
}

/**
 * Places each series in the frame: days along x (first to last), values along y (yMin at the
 * bottom), with round ticks on the scale and the thresholds that fall within it.
 */
export function plot(series: Series[], frame: Frame, thresholds: Threshold[] = []): Plot {
  const days = series.flatMap((s) => s.points.map((p) => dayNumber(p.day)));
  const first = Math.min(...days);
  const last = Math.max(...days);
  const innerWidth = frame.width - frame.left - frame.right;
  const innerHeight = frame.height - frame.top - frame.bottom;
  const x = (day: string) =>
    round(last === first ? frame.left + innerWidth / 2 : frame.left + ((dayNumber(day) - first) / (last - first)) * innerWidth);
  const y = (value: number) => {
    const clamped = Math.min(frame.yMax, Math.max(frame.yMin, value));
    return round(frame.top + innerHeight - ((clamped - frame.yMin) / (frame.yMax - frame.yMin)) * innerHeight);
  };

  const plotted = series.map((s) => {
    const points = s.points.map((p) => ({ ...p, x: x(p.day), y: y(p.value) }));
    const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
    return { label: s.label, points, path };
  });

  const yTicks = niceTicks(frame.yMin, frame.yMax).map((value) => ({ value, y: y(value) }));

  const allDays = [...new Set(series.flatMap((s) => s.points.map((p) => p.day)))].sort();
  const ends = allDays.length === 0 ? [] : [...new Set([allDays[0], allDays[allDays.length - 1]])];
  const xTicks = ends.map((day, i) => ({
    day,
    x: x(day),
    anchor: ends.length === 1 ? ('middle' as const) : i === 0 ? ('start' as const) : ('end' as const),
  }));

  const placed = thresholds
    .filter((t) => t.value >= frame.yMin && t.value <= frame.yMax)
    .map((t) => ({ ...t, y: y(t.value) }));

  return { series: plotted, yTicks, xTicks, thresholds: placed };
}
