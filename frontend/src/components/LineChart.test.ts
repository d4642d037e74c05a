import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import LineChart from './LineChart.svelte';

const series = [
  { label: 'Sam Rivera', points: [{ day: '2026-03-01', value: 5 }, { day: '2026-03-03', value: 7 }] },
  { label: 'Alex Chen', points: [{ day: '2026-03-02', value: 4 }] },
];

describe('line chart', () => {
  it('describes the chart in words and draws one line per partner with a legend', () => {
    const { container } = render(LineChart, {
      props: { title: 'Trust', series, yMin: 0, yMax: 10, summary: 'Sam Rivera 7 most recently.' },
    });

    expect(screen.getByRole('figure', { name: 'Trust' })).toBeInTheDocument();
    expect(screen.getByRole('img', { name: 'Trust. Sam Rivera 7 most recently.' })).toBeInTheDocument();
    expect(container.querySelectorAll('svg[role="img"] circle')).toHaveLength(2);
    expect(container.querySelectorAll('svg[role="img"] rect')).toHaveLength(1);
    const legend = screen.getAllByRole('listitem').map((item) => item.textContent?.trim());
    expect(legend).toEqual(['Sam Rivera (circles)', 'Alex Chen (squares)']);
  });

  it('has the same numbers as a table, with a dash where a partner has no value', () => {
    render(LineChart, { props: { title: 'Trust', series, yMin: 0, yMax: 10, summary: '' } });

    const table = screen.getByRole('table', { hidden: true });
    const rows = within(table)
      .getAllByRole('row', { hidden: true })
      .map((row) => [...row.children].map((cell) => cell.textContent?.trim()));
    expect(rows[0]).toEqual(['Day', 'Sam Rivera', 'Alex Chen']);
    expect(rows).toHaveLength(4);
    expect(rows.slice(1).map((row) => row.slice(1))).toEqual([
      ['5', '—'],
      ['—', '4'],
      ['7', '—'],
    ]);
  });

  it('draws a labelled cut-off line, names it in the legend and in the description', () => {
    const { container } = render(LineChart, {
      props: {
        title: 'CSI-4',
        series,
        yMin: 0,
        yMax: 21,
        summary: 'Sam Rivera 7 most recently.',
        thresholds: [{ value: 13.5, label: 'Distress cut-off' }],
      },
    });

    const line = container.querySelector('svg[role="img"] line.threshold');
    expect(line).not.toBeNull();
    expect(container.querySelector('svg[role="img"] text.threshold')).toHaveTextContent('Distress cut-off 13.5');
    expect(screen.getByRole('img', { name: 'CSI-4. Sam Rivera 7 most recently. Distress cut-off at 13.5.' })).toBeInTheDocument();
    expect(screen.getAllByRole('listitem').map((item) => item.textContent?.trim())).toContain('Distress cut-off (13.5, dashed line)');
    const ticks = [...container.querySelectorAll('svg[role="img"] text.axis')].map((t) => t.textContent);
    expect(ticks.slice(0, 5)).toEqual(['0', '5', '10', '15', '20']);
  });

  it('says there is nothing to show instead of drawing an empty chart', () => {
    render(LineChart, { props: { title: 'Safety', series: [{ label: 'Sam', points: [] }], yMin: 0, yMax: 10, summary: '' } });

    expect(screen.getByText('Nothing to show yet.')).toBeInTheDocument();
    expect(screen.queryByRole('img')).not.toBeInTheDocument();
  });
});
