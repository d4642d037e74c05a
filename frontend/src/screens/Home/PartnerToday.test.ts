import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import PartnerToday from './PartnerToday.svelte';
import { fakeServer } from '../../lib/fakeServer';
import type { CoupleStatus } from '../../lib/api';

function server(status: CoupleStatus) {
  return fakeServer({
    'GET /couples/3': [
      200,
      {
        id: 3,
        practice_id: 1,
        label: 'Rivera & Chen',
        status,
        concerns: [],
        partners: [
          { user_id: 7, name: 'Sam Rivera', seat: 'a' },
          { user_id: 8, name: 'Alex Chen', seat: 'b' },
        ],
        care_team: [{ user_id: 2, name: 'Maya Okafor' }],
        created_at: '',
        updated_at: '',
      },
    ],
    'GET /couples/3/checkins': [200, { today: '2026-12-03', checkins: [] }],
    'GET /couples/3/assignments': [200, { assignments: [] }],
    'GET /couples/3/commitments': [
      200,
      {
        commitments: [
          {
            id: 5, couple_id: 3, author_id: 8, text: 'Phone when late', cadence: 'daily', starts_on: '2026-12-01',
            ended_on: null, kept: 1, missed: 0, kept_rate: 1, created_at: '',
          },
        ],
      },
    ],
    'GET /feeling-words': [200, { feeling_words: ['hopeful'] }],
    'GET /couples/3/live-sessions': [200, { sessions: [] }],
  });
}

afterEach(() => vi.unstubAllGlobals());

describe("a partner's day", () => {
  it('offers the check-in, the confirmations and a new commitment while the file is open', async () => {
    server('active');
    render(PartnerToday, { coupleID: 3 });

    expect(await screen.findByRole('button', { name: 'Save check-in' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /^Kept/ })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Add commitment' })).toBeInTheDocument();
    expect(screen.queryByText(/Your file is closed/)).not.toBeInTheDocument();
  });

  it('shows a closed file to read, with no form to add to it', async () => {
    server('closed');
    render(PartnerToday, { coupleID: 3 });

    expect(await screen.findByRole('heading', { name: 'Your file is closed' })).toBeInTheDocument();
    expect(screen.getByText(/nothing new can be added/)).toBeInTheDocument();
    expect(screen.getByText('No new check-ins while your file is closed.')).toBeInTheDocument();
    expect(screen.getByText('Phone when late')).toBeInTheDocument();
    for (const name of ['Save check-in', /^Kept/, /^Missed/, 'Add commitment']) {
      expect(screen.queryByRole('button', { name })).not.toBeInTheDocument();
    }
  });
});
