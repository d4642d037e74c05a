import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import DivergenceCharts from './DivergenceCharts.svelte';
import { fakeServer } from '../lib/fakeServer';

afterEach(() => vi.unstubAllGlobals());

describe('divergence charts', () => {
  it('charts the gap and lists both partners’ values beside it as a table', async () => {
    fakeServer({
      'GET /couples/3/divergence': [
        200,
        {
          couple_id: 3,
          csi4: [
            { day: '2026-11-01', a: 16, b: 8, gap: 8 },
            { day: '2026-11-15', a: 12, b: 8, gap: 4 },
          ],
          trust: [],
        },
      ],
    });
    render(DivergenceCharts, { coupleID: 3, names: ['Sam Rivera', 'Alex Chen'] });

    expect(await screen.findByRole('figure', { name: 'Gap between the partners’ CSI-4 totals (points)' })).toBeInTheDocument();
    expect(screen.getByRole('img', { name: /Gap 4 most recently/ })).toBeInTheDocument();
    const tables = screen.getAllByRole('table', { hidden: true });
    const both = tables.find((t) => within(t).queryByRole('columnheader', { name: 'Alex Chen', hidden: true }));
    const rows = within(both!)
      .getAllByRole('row', { hidden: true })
      .map((row) => [...row.children].map((cell) => cell.textContent?.trim()));
    expect(rows[0]).toEqual(['Day', 'Sam Rivera', 'Alex Chen', 'Gap']);
    expect(rows.slice(1).map((row) => row.slice(1))).toEqual([
      ['16', '8', '8'],
      ['12', '8', '4'],
    ]);
    expect(screen.getByRole('figure', { name: 'Gap between the partners’ trust check-ins (0–10)' })).toHaveTextContent('Nothing to show yet.');
  });
});
