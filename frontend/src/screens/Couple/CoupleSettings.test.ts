import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import CoupleSettings from './CoupleSettings.svelte';
import { fakeServer } from '../../lib/fakeServer';
import type { Couple } from '../../lib/api';

const couple: Couple = {
  id: 3,
  practice_id: 1,
  label: 'Rivera & Chen',
  status: 'active',
  concerns: [],
  partners: [],
  care_team: [{ user_id: 2, name: 'Maya Okafor' }],
  assignments: { open: 0, submitted: 0 },
  created_at: '',
  updated_at: '',
};

const therapists = [
  { user_id: 2, email: 'maya@example.org', name: 'Maya Okafor', roles: ['therapist'], disabled: false, created_at: '' },
  { user_id: 4, email: 'leo@example.org', name: 'Leo Brandt', roles: ['therapist'], disabled: false, created_at: '' },
];

afterEach(() => vi.unstubAllGlobals());

describe('couple status and care team', () => {
  it('says plainly that closing makes the file read-only before closing it', async () => {
    const fake = fakeServer({
      'GET /practices/1/members?role=therapist': [200, { members: therapists }],
      'PATCH /couples/3': (body) => [200, { ...couple, ...(body as object) }],
    });
    const onchange = vi.fn();
    const user = userEvent.setup();
    render(CoupleSettings, { couple, onchange });

    const select = screen.getByLabelText('Status of the couple');
    await user.selectOptions(select, 'closed');
    expect(select).toHaveAccessibleDescription(/A closed couple becomes read-only/);
    await user.click(screen.getByRole('button', { name: 'Close the couple' }));

    expect(await screen.findByText('The couple is closed. Their file is now read-only.')).toBeInTheDocument();
    expect(fake.bodies('PATCH', '/couples/3')).toEqual([{ status: 'closed' }]);
    expect(onchange).toHaveBeenCalledWith(expect.objectContaining({ status: 'closed' }));
  });

  it('replaces the care team with the therapists ticked, and keeps at least one', async () => {
    const fake = fakeServer({
      'GET /practices/1/members?role=therapist': [200, { members: therapists }],
      'PUT /couples/3/care-team': [200, { ...couple, care_team: [{ user_id: 4, name: 'Leo Brandt' }] }],
    });
    const user = userEvent.setup();
    render(CoupleSettings, { couple, onchange: () => {} });

    const maya = await screen.findByRole('checkbox', { name: /Maya Okafor/ });
    expect(maya).toBeChecked();
    await user.click(maya);
    await user.click(screen.getByRole('button', { name: 'Save care team' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Keep at least one therapist on the care team.');
    expect(screen.getByRole('group', { name: 'Therapists caring for this couple' })).toHaveAccessibleDescription(/at least one/);
    expect(fake.bodies('PUT', '/couples/3/care-team')).toEqual([]);

    await user.click(screen.getByRole('checkbox', { name: 'Leo Brandt' }));
    await user.click(screen.getByRole('button', { name: 'Save care team' }));
    expect(await screen.findByText('The care team is now Leo Brandt.')).toBeInTheDocument();
    expect(fake.bodies('PUT', '/couples/3/care-team')).toEqual([{ therapists: [4] }]);
  });
});
