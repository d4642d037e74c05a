import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import FormPage from './FormPage.svelte';
import { fakeServer, testMembership, testUser } from '../../lib/fakeServer';
import { session } from '../../lib/session.svelte';
import type { Form, Role } from '../../lib/api';

const consent: Form = {
  id: 5,
  practice_id: 1,
  couple_id: 3,
  assignee_id: 7,
  assignee_seat: 'a',
  builtin_key: 'couples_consent',
  template_id: null,
  template_version: null,
  title: 'Consent to couples therapy',
  body: 'How couples therapy works here.',
  signature: true,
  fields: [{ key: 'contact', kind: 'short_text', label: 'Emergency contact', required: true }],
  answers: {},
  visibility: 'therapist',
  status: 'sent',
  due_on: null,
  sent_by: null,
  submitted_at: null,
  signed_name: null,
  signed_at: null,
  signed_address: null,
  created_at: '',
  updated_at: '',
};

const intake: Form = {
  ...consent,
  id: 6,
  title: 'Your own intake',
  signature: false,
  fields: [
    { key: 'hopes', kind: 'long_text', label: 'Your hopes', required: true },
    { key: 'safe', kind: 'checklist', label: 'Do you feel safe?', required: true, options: ['Yes', 'No'], screening: true, flag_options: ['No'] },
  ],
  answers: { hopes: 'To talk again.', safe: ['No'] },
  status: 'submitted',
  submitted_at: '2026-03-01T10:00:00Z',
};

function signIn(userID: number, role: Role) {
  session.me = {
    user: testUser({ id: userID, email: 'someone@example.org', name: 'Someone' }),
    memberships: [testMembership({ practice_id: 1, practice_name: 'Harbor', role, couple_id: role === 'client' ? 3 : undefined })],
    must_enrol_second_factor: false,
  };
  session.activeIndex = 0;
}

const couple = { id: 3, practice_id: 1, label: 'Rivera & Chen', status: 'active', concerns: [], partners: [], care_team: [], created_at: '', updated_at: '' };

afterEach(() => vi.unstubAllGlobals());

describe('a form', () => {
  it('is signed by its partner typing their name and confirming, and then offers the signed copy', async () => {
    signIn(7, 'client');
    const signed: Form = { ...consent, answers: { contact: 'Jo, 0123' }, status: 'signed', signed_name: 'Sam Rivera', signed_at: '2026-03-01T10:00:00Z' };
    const server = fakeServer({
      'GET /forms/5': [200, consent],
      'GET /couples/3': [200, couple],
      'PUT /forms/5/draft': [200, consent],
      'POST /forms/5/sign': [200, signed],
    });
    const user = userEvent.setup();
    render(FormPage, { formID: 5 });

    await user.type(await screen.findByLabelText('Emergency contact'), 'Jo, 0123');
    await user.click(screen.getByRole('button', { name: 'Sign' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('type your full name');
    expect(server.bodies('POST', '/forms/5/sign')).toEqual([]);

    await user.type(screen.getByLabelText('Type your full name'), 'Sam Rivera');
    await user.click(screen.getByRole('checkbox', { name: /I sign it/ }));
    await user.click(screen.getByRole('button', { name: 'Sign' }));

    expect(await screen.findByText(/Signed\. This form is now final/)).toBeInTheDocument();
    expect(server.bodies('POST', '/forms/5/sign')).toEqual([{ answers: { contact: 'Jo, 0123' }, name: 'Sam Rivera', confirm: true }]);
    expect(screen.getByRole('link', { name: 'Download the signed copy (PDF)' })).toHaveAttribute('href', '/api/v1/forms/5/signed.pdf');
  }, 20_000);

  it('shows the care team the safety notice and the screening answer', async () => {
    signIn(2, 'therapist');
    fakeServer({ 'GET /forms/6': [200, { ...intake, safety_flagged: true }], 'GET /couples/3': [200, couple] });
    render(FormPage, { formID: 6 });

    expect(await screen.findByRole('alert')).toHaveTextContent('Safety notice');
    expect(screen.getByText('Do you feel safe?')).toBeInTheDocument();
    expect(screen.getByText('No')).toBeInTheDocument();
  });

  it('never shows the other partner a screening question, nor a signed copy', async () => {
    signIn(8, 'client');
    fakeServer({ 'GET /forms/6': [200, { ...intake, visibility: 'partner', answers: { hopes: 'To talk again.' } }], 'GET /couples/3': [200, couple] });
    render(FormPage, { formID: 6 });

    expect(await screen.findByText('To talk again.')).toBeInTheDocument();
    expect(screen.queryByText('Do you feel safe?')).not.toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.queryByRole('link', { name: /signed copy/ })).not.toBeInTheDocument();
  });
});
