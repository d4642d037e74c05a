import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import CouplePage from './CouplePage.svelte';
import { fakeServer } from '../../lib/fakeServer';
import type { Couple, CoupleStatus } from '../../lib/api';

function couple(status: CoupleStatus): Couple {
  return {
    id: 3,
    practice_id: 1,
    label: 'Rivera & Chen',
    status,
    concerns: [],
    partners: [{ user_id: 7, name: 'Sam Rivera', seat: 'a' }],
    care_team: [{ user_id: 2, name: 'Maya Okafor' }],
    created_at: '',
    updated_at: '',
  };
}

function server(status: CoupleStatus) {
  return fakeServer({
    'GET /couples/3': [200, couple(status)],
    'GET /couples/3/assignments': [200, { assignments: [] }],
    'GET /couples/3/appointments': [200, { appointments: [] }],
    'GET /practices/1/exercises': [200, { exercises: [] }],
    'GET /practices/1/members?role=therapist': [200, { members: [] }],
    'GET /couples/3/live-sessions': [200, { sessions: [] }],
    'GET /couples/3/progress': [200, { couple_id: 3, today: '2026-12-03', questionnaires: [], partners: [] }],
    'GET /couples/3/forms': [200, { forms: [] }],
    'GET /couples/3/safety-flags': [200, { safety_flags: [] }],
    'GET /couples/3/documents': [200, { documents: [] }],
    'GET /practices/1/form-templates': [
      200,
      { builtin: [{ key: 'partner_intake', version: 1, title: 'Getting started: your own intake', body: '', signature: false, fields: [] }], templates: [] },
    ],
  });
}

afterEach(() => vi.unstubAllGlobals());

describe('a couple page', () => {
  it('offers the forms that add to an open couple’s file', async () => {
    server('active');
    render(CouplePage, { coupleID: 3, practiceID: 1 });

    expect(await screen.findByRole('heading', { name: 'Assign an exercise' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Book a session' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Invite a partner' })).toBeInTheDocument();
    expect(await screen.findByRole('link', { name: 'Start a live session' })).toBeInTheDocument();
    // Text queries: role queries over this long page are slow enough to time out on a busy machine.
    expect(await screen.findByText('Send the form', { selector: 'button' })).toBeInTheDocument();
    expect(screen.getByText('Add the document', { selector: 'button' })).toBeInTheDocument();
    expect(screen.queryByText(/file is closed/)).not.toBeInTheDocument();
  });

  it('leaves out every form a closed couple refuses and says what the file still allows', async () => {
    server('closed');
    render(CouplePage, { coupleID: 3, practiceID: 1 });

    expect(await screen.findByText(/This couple's file is closed/)).toHaveTextContent(/write, sign and add to clinical notes/);
    expect(await screen.findByRole('heading', { name: 'Live sessions' })).toBeInTheDocument();
    for (const form of ['Assign an exercise', 'Book a session', 'Invite a partner']) {
      expect(screen.queryByRole('heading', { name: form })).not.toBeInTheDocument();
    }
    expect(await screen.findByText('Forms', { selector: 'h2' })).toBeInTheDocument();
    for (const action of ['Send the form', 'Add the document']) {
      expect(screen.queryByText(action, { selector: 'button' })).not.toBeInTheDocument();
    }
    expect(screen.queryByRole('link', { name: 'Start a live session' })).not.toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Clinical notes' })).toBeInTheDocument();
    expect(await screen.findByRole('button', { name: 'Save care team' })).toBeDisabled();
  });
});
