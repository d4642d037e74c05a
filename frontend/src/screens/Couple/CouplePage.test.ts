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

function server(status: CoupleStatus, measures: unknown[] = []) {
  return fakeServer({
    'GET /couples/3': [200, couple(status)],
    'GET /couples/3/assignments': [200, { assignments: [] }],
    'GET /couples/3/appointments': [200, { appointments: [] }],
    'GET /practices/1/exercises': [200, { exercises: [] }],
    'GET /practices/1/members?role=therapist': [200, { members: [] }],
    'GET /couples/3/live-sessions': [200, { sessions: [] }],
    'GET /couples/3/progress': [200, { couple_id: 3, today: '2026-12-03', questionnaires: [], partners: [] }],
    'GET /couples/3/divergence': [200, { couple_id: 3, csi4: [], trust: [] }],
    'GET /couples/3/treatment-plans': [200, { treatment_plans: [] }],
    'GET /couples/3/measure-schedules': [200, { measure_schedules: [] }],
    'GET /couples/3/measures': [200, { measures: measures }],
    'GET /questionnaires': [200, { questionnaires: [] }],
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
    expect(screen.queryByText(/file is closed/)).not.toBeInTheDocument();
    expect(await screen.findByRole('button', { name: 'Draft a treatment plan' })).toBeInTheDocument();
    expect(screen.queryByText(/Check on safety/)).not.toBeInTheDocument();
  });

  it('asks the care team to check on safety when a PHQ-9 answer calls for it', async () => {
    server('active', [
      { id: 9, couple_id: 3, author_id: 7, measure_key: 'phq9', score: 6, below_cutoff: false, band: 'Mild', safety_flag: true,
        visibility: 'therapist', taken_at: '2026-12-01T09:00:00Z' },
    ]);
    render(CouplePage, { coupleID: 3, practiceID: 1 });

    const alert = await screen.findByText(/Check on safety/);
    expect(alert.closest('[role="alert"]')).toHaveTextContent(/Sam Rivera answered item 9 of the PHQ-9/);
  });

  it('leaves out every form a closed couple refuses and says what the file still allows', async () => {
    server('closed');
    render(CouplePage, { coupleID: 3, practiceID: 1 });

    expect(await screen.findByText(/This couple's file is closed/)).toHaveTextContent(/write, sign and add to clinical notes/);
    expect(await screen.findByRole('heading', { name: 'Live sessions' })).toBeInTheDocument();
    for (const form of ['Assign an exercise', 'Book a session', 'Invite a partner']) {
      expect(screen.queryByRole('heading', { name: form })).not.toBeInTheDocument();
    }
    expect(screen.queryByRole('link', { name: 'Start a live session' })).not.toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Clinical notes' })).toBeInTheDocument();
    expect(await screen.findByRole('button', { name: 'Save care team' })).toBeDisabled();
    expect(await screen.findByText('No version has been signed yet.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Draft a treatment plan' })).not.toBeInTheDocument();
  });
});
