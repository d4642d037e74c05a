import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import AuditLog from './AuditLog.svelte';
import { fakeServer } from '../../lib/fakeServer';
import type { AuditEntry } from '../../lib/api';

afterEach(() => vi.unstubAllGlobals());

function entry(id: number, action: string, objectType: string): AuditEntry {
  return {
    id,
    practice_id: 1,
    actor_id: 2,
    actor_email: 'maya@example.org',
    action,
    object_type: objectType,
    object_id: 3,
    outcome: 'allowed',
    created_at: '2026-12-03T10:00:00Z',
  } as AuditEntry;
}

function server() {
  return fakeServer({
    'GET /practices/1/members': [200, { members: [{ user_id: 2, email: 'maya@example.org', name: 'Maya Okafor', roles: ['therapist'], disabled: false, created_at: '' }] }],
    'GET /practices/1/audit?omit_log_views=true&limit=25': [200, { entries: [entry(5, 'couple.read', 'couple')] }],
    'GET /practices/1/audit?action=note.sign&omit_log_views=true&limit=25': [200, { entries: [entry(4, 'note.sign', 'note'), entry(3, 'note.sign', 'note')] }],
    'GET /practices/1/audit?limit=25': [200, { entries: [entry(6, 'audit_log.list', 'audit_log'), entry(5, 'couple.read', 'couple')] }],
  });
}

describe('the audit log', () => {
  it('says each action in words, counts entries in good English and leaves out views of the log by default', async () => {
    server();
    render(AuditLog, { practiceID: 1 });

    expect(await screen.findByText('Showing 1 entry.')).toBeInTheDocument();
    const row = screen.getAllByRole('row')[1];
    expect(within(row).getByRole('cell', { name: 'Opened a couple’s record' })).toBeInTheDocument();
    expect(screen.queryByText('couple.read')).not.toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: 'Show views of the audit log and the access table' })).not.toBeChecked();
  });

  it('filters by an action chosen in words, and shows views of the log when asked', async () => {
    const fake = server();
    const user = userEvent.setup();
    render(AuditLog, { practiceID: 1 });
    await screen.findByText('Showing 1 entry.');

    await user.selectOptions(screen.getByLabelText('What was done'), 'Signed a clinical note');
    await user.click(screen.getByRole('button', { name: 'Show entries' }));
    expect(await screen.findByText('Showing 2 entries.')).toBeInTheDocument();
    expect(screen.getAllByRole('cell', { name: 'Signed a clinical note' })).toHaveLength(2);

    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    await user.click(screen.getByRole('checkbox', { name: 'Show views of the audit log and the access table' }));
    await user.click(screen.getByRole('button', { name: 'Show entries' }));
    expect(await screen.findByRole('cell', { name: 'Viewed the audit log' })).toBeInTheDocument();
    expect(fake.sent.map((s) => s.path)).toContain('/practices/1/audit?limit=25');
  });
});
