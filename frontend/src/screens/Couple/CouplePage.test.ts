import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import CouplePage from './CouplePage.svelte';
import { fakeServer, testMembership, testUser } from '../../lib/fakeServer';
import { session } from '../../lib/session.svelte';
import type { Appointment, Couple, CoupleStatus } from '../../lib/api';

function couple(status: CoupleStatus): Couple {
  return {
    id: 3,
    practice_id: 1,
    label: 'Rivera & Chen',
    status,
    concerns: [],
    partners: [{ user_id: 7, name: 'Sam Rivera', seat: 'a' }],
    care_team: [{ user_id: 2, name: 'Maya Okafor' }],
    assignments: { open: 0, submitted: 0 },
    created_at: '',
    updated_at: '',
  };
}

function appointment(over: Partial<Appointment>): Appointment {
  return {
    id: 40, couple_id: 3, couple_label: 'Rivera & Chen', therapist_id: 2, therapist_name: 'Maya Okafor',
    starts_at: '2031-03-04T10:00:00Z', ends_at: '2031-03-04T10:50:00Z', time_zone: 'UTC', kind: 'in_person',
    room_id: null, room_name: null, series_id: null, status: 'scheduled', cancelled_at: null, attendance: null,
    attendance_recorded_at: null, live_session_id: null, version: 1, created_at: '', updated_at: '', ...over,
  };
}

function server(status: CoupleStatus, extra: Parameters<typeof fakeServer>[0] = {}, appointments: Appointment[] = []) {
  return fakeServer({
    'GET /couples/3': [200, couple(status)],
    'GET /couples/3/assignments': [200, { assignments: [] }],
    'GET /couples/3/appointments': [200, { appointments }],
    'GET /couples/3/appointment-requests': [200, { requests: [] }],
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
    'GET /couples/3/divergence': [200, { couple_id: 3, csi4: [], trust: [] }],
    'GET /couples/3/treatment-plans': [200, { treatment_plans: [] }],
    'GET /couples/3/measure-schedules': [200, { measure_schedules: [] }],
    'GET /couples/3/measures': [200, { measures: [] }],
    'GET /questionnaires': [200, { questionnaires: [] }],
    'GET /concerns': [200, { concerns: [{ key: 'lying', label: 'Lying' }] }],
    ...extra,
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
  session.me = null;
});

/** Signs the therapist Maya Okafor (user 2) in, as the page reads the session. */
function signedInTherapist() {
  session.me = {
    user: testUser({ id: 2, email: 'maya@example.test', name: 'Maya Okafor' }),
    memberships: [testMembership({ practice_id: 1, practice_name: 'Practice', role: 'therapist' })],
    must_enrol_second_factor: false,
  };
}

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
    expect(await screen.findByRole('button', { name: 'Draft a treatment plan' })).toBeInTheDocument();
    expect(screen.queryByText(/Check on safety/)).not.toBeInTheDocument();
  });

  it('names the couple’s concerns as the server’s list words them', async () => {
    server('active', { 'GET /couples/3': [200, { ...couple('active'), concerns: ['lying', 'not_yet_listed'] }] });
    render(CouplePage, { coupleID: 3, practiceID: 1 });

    expect(await screen.findByText('Lying, not yet listed', { selector: 'dd' })).toBeInTheDocument();
  });

  it('asks the care team to check on safety, in the one safety notice, when a PHQ-9 answer calls for it', async () => {
    server('active', {
      'GET /couples/3/safety-flags': [200, { safety_flags: [
        { kind: 'questionnaire', form_id: null, measure_id: 9, title: 'Patient Health Questionnaire (PHQ-9)', partner_id: 7,
          seat: 'a', submitted_at: '2026-12-01T09:00:00Z' },
        { kind: 'screening', form_id: 9, measure_id: null, title: 'Safety at home', partner_id: 7, seat: 'a',
          submitted_at: '2026-11-30T10:00:00Z' },
      ] }],
    });
    render(CouplePage, { coupleID: 3, practiceID: 1 });

    const notice = within(await screen.findByRole('region', { name: 'Safety notice' }));
    expect(notice.getByRole('alert')).toHaveTextContent(/Check on safety/);
    expect(await notice.findByText(/Sam Rivera \(partner A\) answered the Patient Health Questionnaire \(PHQ-9\)/)).toBeInTheDocument();
    expect(notice.getByRole('link', { name: 'Safety at home, partner A' })).toBeInTheDocument();
    expect(screen.getAllByText(/Check on safety/)).toHaveLength(1);
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
    expect(await screen.findByText('No version has been signed yet.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Draft a treatment plan' })).not.toBeInTheDocument();
  });

  it("names each session's therapist and offers changes only on the therapist's own", async () => {
    signedInTherapist();
    server('active', {}, [
      appointment({ id: 40 }),
      appointment({ id: 41, therapist_id: 5, therapist_name: 'Lee Park', starts_at: '2031-03-05T10:00:00Z', ends_at: '2031-03-05T10:50:00Z' }),
    ]);
    render(CouplePage, { coupleID: 3, practiceID: 1 });

    const sessions = await screen.findByRole('region', { name: 'Sessions' });
    const [own, colleagues] = await within(sessions).findAllByRole('listitem');
    expect(own).toHaveTextContent('In person session with Maya Okafor');
    expect(within(own).getByRole('button', { name: /^Cancel/ })).toBeInTheDocument();
    expect(colleagues).toHaveTextContent('In person session with Lee Park');
    expect(within(colleagues).queryByRole('button')).not.toBeInTheDocument();
  });

  it('shows a double booking beside the day and time, naming the appointment in the way', async () => {
    signedInTherapist();
    const clash = 'Maya Okafor already has an appointment from 10:00 to 10:50 on Tuesday 4 March 2031.';
    server('active', { 'POST /couples/3/appointments': [409, { error: { code: 'conflict', message: clash, field: 'starts_at' } }] });
    const user = userEvent.setup();
    render(CouplePage, { coupleID: 3, practiceID: 1 });

    await user.type(await screen.findByLabelText('Day and time'), '2031-03-04T10:20');
    await user.click(screen.getByRole('button', { name: 'Book' }));

    const field = screen.getByLabelText('Day and time');
    expect(await screen.findByText(clash)).toHaveAttribute('id', field.getAttribute('aria-describedby'));
    expect(field).toHaveAttribute('aria-invalid', 'true');
  });

  it('invites the partner who has not joined by their place, not a seat letter, and copies the link', async () => {
    const invite = { id: 5, practice_id: 1, email: 'alex@example.org', role: 'client', couple_id: 3, seat: 'b', expires_at: '', created_at: '' };
    const fake = server('active', {
      'POST /couples/3/invites': [201, { invite, token: 't0k', accept_url: '/invite/t0k' }],
    });
    const user = userEvent.setup();
    const writeText = vi.fn(async () => {});
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    render(CouplePage, { coupleID: 3, practiceID: 1 });

    expect(await screen.findByText('Sam Rivera (first partner)')).toBeInTheDocument();
    const partner = screen.getByLabelText('Which partner');
    expect(within(partner).getAllByRole('option').map((o) => o.textContent)).toEqual(['Second partner']);
    expect(screen.queryByText(/seat/i)).not.toBeInTheDocument();
    await user.type(screen.getByLabelText('Their email address'), 'alex@example.org');
    await user.click(screen.getByRole('button', { name: 'Create invitation' }));

    await user.click(await screen.findByRole('button', { name: 'Copy link' }));
    expect(writeText).toHaveBeenCalledWith(`${location.origin}/invite/t0k`);
    expect(screen.getByText('Copied.')).toBeInTheDocument();
    expect(fake.bodies('POST', '/couples/3/invites')).toEqual([{ seat: 'b', email: 'alex@example.org' }]);
  });

  it('opens with what the therapist came for, and leaves status and care-team chores for last', async () => {
    const now = Date.now();
    const day = 24 * 3600 * 1000;
    const assignment = (id: number, title: string, status: string, submittedDaysAgo: number | null) => ({
      id, couple_id: 3, exercise_id: id, exercise_version: 1, exercise_title: title, assignee_id: 7, assignee_seat: 'a',
      due_on: null, note: '', status, feedback: '', reviewed_at: null, visibility: 'therapist',
      submitted_at: submittedDaysAgo === null ? null : new Date(now - submittedDaysAgo * day).toISOString(), created_at: '',
    });
    const soon = new Date(now + 2 * day);
    server('active', {
      'GET /couples/3/assignments': [200, { assignments: [
        assignment(1, 'An apology', 'submitted', 1),
        assignment(2, 'Being specific', 'reviewed', 30),
        assignment(3, 'Open communication', 'assigned', null),
      ] }],
      'GET /couples/3/appointments': [200, { appointments: [
        { id: 8, couple_id: 3, therapist_id: 2, starts_at: soon.toISOString(), ends_at: new Date(soon.getTime() + 3000000).toISOString(), status: 'scheduled' },
      ] }],
    });
    render(CouplePage, { coupleID: 3, practiceID: 1 });

    const glance = within(await screen.findByRole('region', { name: 'At a glance' }));
    expect(glance.getByRole('link', { name: 'An apology' })).toHaveAttribute('href', '/assignments/1');
    expect(glance.getByText(/Sam Rivera handed in/)).toBeInTheDocument();
    expect(glance.queryByText(/Being specific/)).not.toBeInTheDocument();
    expect(glance.getByRole('heading', { name: 'Next session' }).nextElementSibling).toHaveTextContent(String(soon.getDate()));

    const headings = screen.getAllByRole('heading', { level: 2 }).map((h) => h.textContent);
    const at = (name: string) => headings.indexOf(name);
    expect(at('At a glance')).toBeGreaterThanOrEqual(0);
    for (const work of ['Progress', 'Exercises', 'Sessions']) {
      expect(at(work)).toBeGreaterThan(at('At a glance'));
      for (const chore of ['Status', 'Care team', 'Invite a partner', 'Export']) expect(at(chore)).toBeGreaterThan(at(work));
    }
    for (const record of ['Forms', 'Documents']) {
      expect(at(record)).toBeGreaterThan(at('Sessions'));
      expect(at('Status')).toBeGreaterThan(at(record));
    }
  });

  it('puts a safety notice before everything else the care team reads', async () => {
    server('active', {
      'GET /couples/3/safety-flags': [200, { safety_flags: [
        { kind: 'screening', form_id: 9, measure_id: null, title: 'Safety at home', partner_id: 7, seat: 'a',
          submitted_at: '2026-12-01T10:00:00Z' },
      ] }],
    });
    render(CouplePage, { coupleID: 3, practiceID: 1 });

    const notice = within(await screen.findByRole('region', { name: 'Safety notice' }));
    expect(notice.getByRole('link', { name: 'Safety at home, partner A' })).toHaveAttribute('href', '/forms/9');
    const headings = screen.getAllByRole('heading', { level: 2 }).map((h) => h.textContent);
    expect(headings.indexOf('Safety notice')).toBeLessThan(headings.indexOf('At a glance'));
  });
});
