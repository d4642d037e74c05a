import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import Members from './Members.svelte';
import { fakeServer } from '../../lib/fakeServer';
import type { Member, Role } from '../../lib/api';

afterEach(() => vi.unstubAllGlobals());

function member(id: number, name: string, roles: Role[]): Member {
  return { user_id: id, email: `${id}@example.org`, name, roles, disabled: false, created_at: '' };
}

describe('the members screen', () => {
  it('lists staff and partners apart, with role settings only for staff', async () => {
    fakeServer({
      'GET /practices/1/members': [200, {
        members: [
          member(1, 'Dana Whitfield', ['admin']),
          member(2, 'Sam Rivera', ['client']),
          member(3, 'Maya Okafor', ['therapist']),
          member(4, 'Alex Chen', ['client']),
        ],
      }],
      'GET /practices/1/invites?open=true': [200, { invites: [] }],
    });
    render(Members, { practiceID: 1 });

    const staff = within(await screen.findByRole('region', { name: 'Staff' }));
    const partners = within(screen.getByRole('region', { name: 'Partners' }));
    expect(staff.getAllByRole('heading', { level: 3 }).map((h) => h.textContent)).toEqual(['Dana Whitfield', 'Maya Okafor']);
    expect(partners.getAllByRole('heading', { level: 3 }).map((h) => h.textContent)).toEqual(['Sam Rivera', 'Alex Chen']);
    expect(staff.getAllByRole('group', { name: /^Roles of/ })).toHaveLength(2);
    expect(partners.queryByRole('group', { name: /^Roles of/ })).not.toBeInTheDocument();
  });
});
