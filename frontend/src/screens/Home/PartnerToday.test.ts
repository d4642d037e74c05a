import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import PartnerToday from './PartnerToday.svelte';
import { fakeServer } from '../../lib/fakeServer';
import type { CoupleStatus } from '../../lib/api';

function server(status: CoupleStatus, extra: Parameters<typeof fakeServer>[0] = {}) {
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
    'GET /couples/3/forms': [200, { forms: [] }],
    'GET /couples/3/documents': [200, { documents: [] }],
    ...extra,
  });
}

/** Partner B's daily commitment with what was recorded for today. */
function commitment(thisPeriod: 'kept' | 'missed' | null) {
  return {
    id: 5, couple_id: 3, author_id: 8, text: 'Phone when late', cadence: 'daily', starts_on: '2026-12-01',
    ended_on: null, kept: 1, missed: 0, kept_rate: 1, this_period: thisPeriod, created_at: '',
  };
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

  it('shows what was already recorded for today and says so when it is changed', async () => {
    let recorded: 'kept' | 'missed' = 'kept';
    const fake = server('active', {
      'GET /couples/3/commitments': () => [200, { commitments: [commitment(recorded)] }],
      'POST /commitments/5/checks': (body) => {
        recorded = (body as { status: 'kept' | 'missed' }).status;
        return [200, { id: 1, commitment_id: 5, period_start: '2026-12-03', status: recorded, note: '' }];
      },
    });
    const user = userEvent.setup();
    render(PartnerToday, { coupleID: 3 });

    expect(await screen.findByText('You recorded today as kept.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /^Kept/ })).toHaveAttribute('aria-pressed', 'true');
    await user.click(screen.getByRole('button', { name: /^Change to missed/ }));

    expect(await screen.findByText('Changed: today is now recorded as missed.')).toBeInTheDocument();
    expect(screen.getByText('You recorded today as missed.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /^Missed/ })).toHaveAttribute('aria-pressed', 'true');
    expect(fake.bodies('POST', '/commitments/5/checks')).toEqual([{ status: 'missed', note: '' }]);
  });

  it('offers a first choice, pressed by neither, when nothing is recorded for today', async () => {
    server('active', { 'GET /couples/3/commitments': [200, { commitments: [commitment(null)] }] });
    render(PartnerToday, { coupleID: 3 });

    expect(await screen.findByRole('button', { name: /^Kept/ })).toHaveAttribute('aria-pressed', 'false');
    expect(screen.getByRole('button', { name: /^Missed/ })).toHaveAttribute('aria-pressed', 'false');
    expect(screen.queryByText(/You recorded today/)).not.toBeInTheDocument();
  });
});
