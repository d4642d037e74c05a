import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import CoupleDocuments from './CoupleDocuments.svelte';
import { fakeServer } from '../lib/fakeServer';
import { session } from '../lib/session.svelte';
import type { CoupleDocument } from '../lib/api';

function document(over: Partial<CoupleDocument>): CoupleDocument {
  return {
    id: 1,
    couple_id: 3,
    author_id: 7,
    name: 'scan.png',
    content_type: 'image/png',
    size: 2048,
    sha256: 'ab'.repeat(32),
    visibility: 'therapist',
    created_at: '2026-12-01T10:00:00Z',
    ...over,
  };
}

function signIn(userID: number, role: 'therapist' | 'client') {
  session.me = {
    user: { id: userID, email: 'x@example.test', name: 'Someone' },
    memberships: [{ practice_id: 1, practice_name: 'Practice', role }],
  } as never;
}

afterEach(() => {
  vi.unstubAllGlobals();
  session.me = null;
});

describe('couple documents', () => {
  it('lets the uploader change who sees their document and delete it after confirming', async () => {
    signIn(7, 'client');
    const mine = document({});
    const fake = fakeServer({
      'GET /couples/3/documents': [200, { documents: [mine, document({ id: 2, author_id: 8, name: 'theirs.pdf', visibility: 'partner' })] }],
      'PUT /documents/1/visibility': [200, { ...mine, visibility: 'partner' }],
      'DELETE /documents/1': [204, null],
    });
    render(CoupleDocuments, { coupleID: 3 });
    const choice = await screen.findByLabelText('Who can see “scan.png”');
    await userEvent.selectOptions(choice, 'partner');
    expect(await screen.findByText(/“scan.png”: .*partner/i)).toBeTruthy();
    expect(fake.bodies('PUT', '/documents/1/visibility')).toEqual([{ visibility: 'partner' }]);

    // The other partner's document can be neither shared nor deleted by this partner.
    expect(screen.queryByLabelText('Who can see “theirs.pdf”')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Delete “theirs.pdf”' })).toBeNull();

    await userEvent.click(screen.getByRole('button', { name: 'Delete “scan.png”' }));
    expect(fake.bodies('DELETE', '/documents/1')).toHaveLength(0);
    await userEvent.click(screen.getByRole('button', { name: 'Yes, delete “scan.png”' }));
    expect(await screen.findByText('Deleted “scan.png”.')).toBeTruthy();
    expect(fake.bodies('DELETE', '/documents/1')).toHaveLength(1);
    expect(screen.queryByRole('link', { name: 'scan.png' })).toBeNull();
    expect(screen.getByRole('link', { name: 'theirs.pdf' })).toBeTruthy();
  });

  it('lets the care team delete a partner’s document but not change who sees it', async () => {
    signIn(2, 'therapist');
    fakeServer({
      'GET /couples/3/documents': [200, { documents: [document({})] }],
      'DELETE /documents/1': [204, null],
    });
    render(CoupleDocuments, { coupleID: 3 });
    await userEvent.click(await screen.findByRole('button', { name: 'Delete “scan.png”' }));
    expect(screen.queryByLabelText('Who can see “scan.png”')).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Keep it' }));
    expect(screen.getByRole('link', { name: 'scan.png' })).toBeTruthy();
  });

  it('offers no changes in a closed file', async () => {
    signIn(7, 'client');
    fakeServer({ 'GET /couples/3/documents': [200, { documents: [document({})] }] });
    render(CoupleDocuments, { coupleID: 3, closed: true });
    await screen.findByRole('link', { name: 'scan.png' });
    expect(screen.queryByRole('button', { name: /Delete/ })).toBeNull();
    expect(screen.queryByLabelText('Who can see “scan.png”')).toBeNull();
  });
});
