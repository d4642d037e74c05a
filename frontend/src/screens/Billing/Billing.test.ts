import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import type { CoupleSummary, LedgerEntry } from '../../lib/api';
import { fakeServer, invalid } from '../../lib/fakeServer';
import { localDay } from '../../lib/format';
import { monthOf } from '../../lib/billing';
import CoupleAccounts from './CoupleAccounts.svelte';
import MyStatement from './MyStatement.svelte';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const couple: CoupleSummary = {
  id: 3,
  practice_id: 1,
  label: 'Rivera & Kim',
  status: 'active',
  concerns: [],
  partners: [
    { user_id: 8, name: 'Sam Rivera', seat: 'a' },
    { user_id: 9, name: 'Jo Kim', seat: 'b' },
  ],
  care_team: [{ user_id: 2, name: 'Dr Lee' }],
  created_at: '2031-01-01T00:00:00Z',
  updated_at: '2031-01-01T00:00:00Z',
};

function entry(fields: Partial<LedgerEntry>): LedgerEntry {
  return {
    id: 1, couple_id: 3, couple_label: 'Rivera & Kim', payer_id: 8, payer_name: 'Sam Rivera', kind: 'charge',
    amount_cents: 15000, posted_on: '2031-01-06', appointment_id: 5, charge_kind: 'session', therapist_id: 2,
    cpt_code: '90847', description: 'Couples therapy', method: null, reference: '', reverses_id: null, voided: false,
    created_at: '2031-01-06T10:00:00Z', ...fields,
  };
}

describe('a couple\'s accounts', () => {
  it('records a payment and voids a charge, showing the ledger the server answers', async () => {
    const charged = { shares: [{ partner_id: 8, partner_name: 'Sam Rivera', percent: 100 }],
      balances: [{ payer_id: 8, payer_name: 'Sam Rivera', balance_cents: 15000 }], entries: [entry({})] };
    const paid = { ...charged, balances: [{ payer_id: 8, payer_name: 'Sam Rivera', balance_cents: 11000 }],
      entries: [entry({}), entry({ id: 2, kind: 'payment', amount_cents: -4000, method: 'cheque', appointment_id: null, charge_kind: null, cpt_code: '', description: '' })] };
    let ledger: unknown = charged;
    const fake = fakeServer({
      'GET /couples/3/billing': () => [200, ledger],
      'GET /couples/3/appointments': [200, { appointments: [] }],
      'POST /couples/3/billing/entries': () => {
        ledger = paid;
        return [201, entry({ id: 2, kind: 'payment', amount_cents: -4000 })];
      },
      'POST /appointments/5/charges/session/void': [200, { entries: [] }],
    });
    const user = userEvent.setup();
    render(CoupleAccounts, { practiceID: 1, couple });

    expect(await screen.findByText('$150.00 owed')).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText('Partner'), 'Sam Rivera');
    await user.type(screen.getByLabelText('Amount in dollars'), '40');
    await user.selectOptions(screen.getByLabelText('How'), 'cheque');
    await user.click(screen.getByRole('button', { name: 'Record' }));
    expect(await screen.findByRole('status')).toHaveTextContent('Payment of $40.00 recorded.');
    expect(fake.bodies('POST', '/couples/3/billing/entries')).toEqual([{ kind: 'payment', amount_cents: 4000, payer_id: 8, method: 'cheque' }]);
    expect(screen.getByText('$110.00 owed')).toBeInTheDocument();
    expect(screen.getByText('Payment (cheque)')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: /^Void ?the charge of/ }));
    expect(await screen.findByText(/The charge is void/)).toBeInTheDocument();
    const [superbillOfA] = screen.getAllByRole('link', { name: 'Superbill (PDF)' });
    expect(superbillOfA.getAttribute('href')).toMatch(/^\/api\/v1\/practices\/1\/members\/8\/superbill\.pdf\?from=/);
  }, 20_000); // many steps through a whole form: slow on a busy machine

  it('says that bills list nothing until someone is named to pay, and stops saying it once someone is', async () => {
    let shares: unknown[] = [];
    fakeServer({
      'GET /couples/3/billing': () => [200, { shares, balances: [], entries: [] }],
      'GET /couples/3/appointments': [200, { appointments: [] }],
      'PUT /couples/3/billing/shares': () => {
        shares = [{ partner_id: 8, partner_name: 'Sam Rivera', percent: 100 }];
        return [200, { shares }];
      },
    });
    const user = userEvent.setup();
    render(CoupleAccounts, { practiceID: 1, couple });

    expect(await screen.findByText(/Nobody is named to pay yet/)).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText('Charges go to'), 'Sam Rivera');
    await user.click(screen.getByRole('button', { name: 'Save who pays' }));
    expect(await screen.findByText('Who pays is saved; charges from now on follow it.')).toBeInTheDocument();
    expect(screen.queryByText(/Nobody is named to pay yet/)).not.toBeInTheDocument();
  });

  it('says what is wrong with an amount before sending it, and shows the server\'s refusals', async () => {
    const fake = fakeServer({
      'GET /couples/3/billing': [200, { shares: [], balances: [], entries: [] }],
      'GET /couples/3/appointments': [200, { appointments: [] }],
      'POST /couples/3/billing/entries': invalid('Payer id must be a partner of this couple.', 'payer_id'),
    });
    const user = userEvent.setup();
    render(CoupleAccounts, { practiceID: 1, couple });

    await user.type(await screen.findByLabelText('Amount in dollars'), 'twelve');
    await user.click(screen.getByRole('button', { name: 'Record' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Amount: Enter an amount such as 120 or 120.50.');
    expect(fake.sent.filter((s) => s.method === 'POST')).toEqual([]);

    await user.clear(screen.getByLabelText('Amount in dollars'));
    await user.type(screen.getByLabelText('Amount in dollars'), '12');
    await user.click(screen.getByRole('button', { name: 'Record' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Payer id must be a partner of this couple.');
  });
});

describe('my statement', () => {
  it('shows the partner their entries, balance due and their own bills', async () => {
    const range = monthOf(localDay(new Date()));
    const query = `?from=${range.from}&to=${range.to}`;
    fakeServer({
      [`GET /practices/1/members/8/statement${query}`]: [200, {
        from: range.from, to: range.to, opening_balance_cents: 2000, charges_cents: 7500, payments_cents: 4000,
        adjustments_cents: 0, closing_balance_cents: 5500,
        entries: [entry({ amount_cents: 7500 }), entry({ id: 2, kind: 'payment', amount_cents: -4000, method: 'card', cpt_code: '', description: '' })],
      }],
    });
    render(MyStatement, { practiceID: 1, userID: 8 });

    const table = await screen.findByRole('table');
    expect(within(table).getByText('90847 · Couples therapy')).toBeInTheDocument();
    expect(within(table).getByText('Payment (card)')).toBeInTheDocument();
    expect(within(table).getByRole('rowheader', { name: 'Balance due' })).toBeInTheDocument();
    expect(within(table).getByText('$55.00')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Download the superbill (PDF)' })).toHaveAttribute(
      'href', `/api/v1/practices/1/members/8/superbill.pdf${query}`);
  });
});
