import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import NewCoupleForm from './NewCoupleForm.svelte';
import { fakeServer, invalid, testMembership, testUser } from '../../lib/fakeServer';
import { session } from '../../lib/session.svelte';
import { router } from '../../lib/router.svelte';

const therapists = [
  { user_id: 2, email: 'maya@example.org', name: 'Maya Okafor', roles: ['therapist'], disabled: false, created_at: '' },
  { user_id: 4, email: 'leo@example.org', name: 'Leo Brandt', roles: ['therapist'], disabled: false, created_at: '' },
];

function signInAs(role: 'therapist' | 'admin', id: number) {
  session.me = {
    user: testUser({ id, email: 'x@example.org', name: 'X' }),
    memberships: [testMembership({ practice_id: 1, practice_name: 'Harbor', role })],
    must_enrol_second_factor: false,
  };
  session.activeIndex = 0;
}

/** The server's list of concerns, in the order it offers them. */
const concerns = [
  { key: 'infidelity', label: 'Infidelity' },
  { key: 'lying', label: 'Lying' },
  { key: 'other', label: 'Something else' },
];

const created = (body: unknown): [number, unknown] => [201, { id: 42, practice_id: 1, status: 'active', partners: [], care_team: [], ...(body as object) }];

beforeEach(() => {
  history.replaceState(null, '', '/couples');
  router.path = '/couples';
});
afterEach(() => vi.unstubAllGlobals());

describe('adding a couple', () => {
  it('puts the therapist who adds a couple on its care team, with the concerns they tick', async () => {
    signInAs('therapist', 2);
    const fake = fakeServer({
      'GET /practices/1/members?role=therapist': [200, { members: therapists }],
      'GET /concerns': [200, { concerns }],
      'POST /practices/1/couples': created,
    });
    const user = userEvent.setup();
    render(NewCoupleForm, { practiceID: 1 });

    await user.click(screen.getByRole('button', { name: 'Add a couple' }));
    expect(screen.getByLabelText('Label')).toHaveFocus();
    expect(await screen.findByRole('checkbox', { name: 'Maya Okafor (you)' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'Leo Brandt' })).not.toBeChecked();
    const offered = within(screen.getByRole('group', { name: 'What brings them (optional)' })).getAllByRole('checkbox');
    expect(offered.map((box) => box.closest('label')?.textContent?.trim())).toEqual(concerns.map((c) => c.label));

    await user.keyboard('Novak & Ito');
    await user.click(screen.getByRole('checkbox', { name: 'Lying' }));
    await user.click(screen.getByRole('checkbox', { name: 'Infidelity' }));
    await user.click(screen.getByRole('button', { name: 'Add couple' }));

    await vi.waitFor(() => expect(router.path).toBe('/couples/42'));
    expect(fake.bodies('POST', '/practices/1/couples')).toEqual([
      { label: 'Novak & Ito', concerns: ['infidelity', 'lying'], therapists: [2] },
    ]);
  });

  it('asks an administrator to choose a therapist, and points at the field the server refused', async () => {
    signInAs('admin', 1);
    const fake = fakeServer({
      'GET /practices/1/members?role=therapist': [200, { members: therapists }],
      'GET /concerns': [200, { concerns }],
      'POST /practices/1/couples': invalid('A couple with that label already exists.', 'label'),
    });
    const user = userEvent.setup();
    render(NewCoupleForm, { practiceID: 1 });

    await user.click(screen.getByRole('button', { name: 'Add a couple' }));
    await user.click(screen.getByRole('button', { name: 'Add couple' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Give the couple a label');
    expect(screen.getByLabelText('Label')).toHaveAttribute('aria-invalid', 'true');

    await user.type(screen.getByLabelText('Label'), 'Rivera & Chen');
    await user.click(screen.getByRole('button', { name: 'Add couple' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Choose at least one therapist for the care team.');
    expect(screen.getByRole('group', { name: 'Care team' })).toHaveAccessibleDescription(/at least one therapist/);
    expect(fake.bodies('POST', '/practices/1/couples')).toEqual([]);

    await user.click(await screen.findByRole('checkbox', { name: 'Leo Brandt' }));
    await user.click(screen.getByRole('button', { name: 'Add couple' }));
    expect(await screen.findByText('A couple with that label already exists.')).toBeInTheDocument();
    expect(screen.getByLabelText('Label').closest('.field')).toHaveTextContent('A couple with that label already exists.');
    expect(screen.getByLabelText('Label')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Label')).toHaveFocus();
    expect(fake.bodies('POST', '/practices/1/couples')).toEqual([{ label: 'Rivera & Chen', concerns: [], therapists: [4] }]);
    expect(router.path).toBe('/couples');
  });
});
