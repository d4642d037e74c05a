import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import TreatmentPlan from './TreatmentPlan.svelte';
import { fakeServer, invalid } from '../lib/fakeServer';
import { session } from '../lib/session.svelte';
import type { TreatmentPlan as Plan } from '../lib/api';

const names = { 2: 'Maya Okafor', 7: 'Sam Rivera', 8: 'Alex Chen' };

function plan(over: Partial<Plan>): Plan {
  return {
    id: 20,
    couple_id: 3,
    version: 1,
    status: 'signed',
    content: {
      problems: ['Broken trust after an affair'],
      goals: [
        {
          text: 'Rebuild trust through openness',
          target_on: '2027-06-30',
          objectives: [{ text: 'Trust at 6 or more for four weeks', measure: 'Weekly check-in', target_on: '2027-04-30' }],
          interventions: ['Speaker-listener practice'],
        },
      ],
      review_on: '2027-03-31',
      reviewed_with_couple_on: '2026-12-01',
    },
    created_by: 2,
    signed_by: 2,
    signed_at: '2026-12-02T10:00:00Z',
    current: true,
    acknowledgements: [],
    created_at: '2026-12-01T10:00:00Z',
    updated_at: '2026-12-02T10:00:00Z',
    ...over,
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
  session.me = null;
});

describe('treatment plan', () => {
  it('lets the therapist revise the signed plan as a new draft, refuses to sign an incomplete one, then signs it', async () => {
    const signed = plan({});
    const draft = plan({ id: 21, version: 2, status: 'draft', signed_by: null, signed_at: null, current: false });
    let state: Plan[] = [signed];
    let signs = 0;
    const fake = fakeServer({
      'GET /couples/3/treatment-plans': () => [200, { treatment_plans: state }],
      'POST /couples/3/treatment-plans': () => {
        state = [draft, signed];
        return [201, draft];
      },
      'PUT /treatment-plans/21': [200, draft],
      'POST /treatment-plans/21/sign': () => {
        if (++signs === 1) return invalid('Goals must give each goal at least one measurable objective before the plan is signed.', 'content.goals.objectives');
        state = [{ ...draft, status: 'signed', current: true, signed_by: 2, signed_at: '2026-12-03T10:00:00Z' }, { ...signed, current: false }];
        return [200, state[0]];
      },
    });
    const user = userEvent.setup();
    render(TreatmentPlan, { coupleID: 3, reader: 'therapist', names });

    expect(await screen.findByRole('heading', { name: 'The current plan (version 1)' })).toBeInTheDocument();
    expect(screen.getByText(/Trust at 6 or more for four weeks \(measured by: Weekly check-in\), by .*2027/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Revise: start version 2' }));

    const problems = await screen.findByLabelText('Problems, one a line');
    expect(problems).toHaveValue('Broken trust after an affair');
    await user.type(problems, '{Enter}Money worries');
    await user.click(screen.getByRole('button', { name: 'Sign version 2' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('at least one measurable objective');

    await user.click(screen.getByRole('button', { name: 'Sign version 2' }));
    expect(await screen.findByText(/The plan is signed/)).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'The current plan (version 2)' })).toBeInTheDocument();
    const sent = fake.bodies('PUT', '/treatment-plans/21') as { content: { problems: string[] } }[];
    expect(sent.at(-1)?.content.problems).toEqual(['Broken trust after an affair', 'Money worries']);
    expect(screen.queryByRole('button', { name: /Sign version/ })).not.toBeInTheDocument();
    await user.click(screen.getByText('Earlier signed versions'));
    expect(screen.getByRole('heading', { name: 'Version 1' })).toBeInTheDocument();
  }, 30_000);

  it('lets a partner read the current plan and acknowledge it once, with no way to edit it', async () => {
    session.me = { user: { id: 7, email: 'sam@example.org', name: 'Sam Rivera' }, memberships: [] } as never;
    let state = plan({ acknowledgements: [{ user_id: 8, acknowledged_at: '2026-12-02T12:00:00Z' }] });
    const fake = fakeServer({
      'GET /couples/3/treatment-plans': () => [200, { treatment_plans: [state] }],
      'POST /treatment-plans/20/acknowledge': () => {
        state = { ...state, acknowledgements: [...state.acknowledgements, { user_id: 7, acknowledged_at: '2026-12-03T09:00:00Z' }] };
        return [200, state];
      },
    });
    const user = userEvent.setup();
    render(TreatmentPlan, { coupleID: 3, reader: 'client', names });

    const region = await screen.findByRole('region', { name: 'Treatment plan' });
    expect(await within(region).findByText(/Acknowledged by Alex Chen/)).toBeInTheDocument();
    expect(within(region).queryByRole('textbox')).not.toBeInTheDocument();
    expect(within(region).queryByRole('button', { name: /Revise|Draft|Sign/ })).not.toBeInTheDocument();

    await user.click(within(region).getByRole('button', { name: 'I have read this plan' }));
    expect(await within(region).findByText(/You acknowledged this plan on/)).toBeInTheDocument();
    expect(within(region).queryByRole('button', { name: 'I have read this plan' })).not.toBeInTheDocument();
    expect(fake.sent.filter((s) => s.method === 'POST')).toHaveLength(1);
  });

  it('tells a partner when no plan is signed yet', async () => {
    fakeServer({ 'GET /couples/3/treatment-plans': [200, { treatment_plans: [] }] });
    render(TreatmentPlan, { coupleID: 3, reader: 'client', names });

    expect(await screen.findByText('Your therapist has not signed a treatment plan with you yet.')).toBeInTheDocument();
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
  });
});
