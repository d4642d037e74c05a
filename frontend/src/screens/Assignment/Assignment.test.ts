import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import { router } from '../../lib/router.svelte';
import Assignment from './Assignment.svelte';
import { fakeServer, invalid, testMembership, testUser } from '../../lib/fakeServer';
import { session } from '../../lib/session.svelte';
import type { AssignmentDetail, CoupleStatus } from '../../lib/api';

const detail: AssignmentDetail = {
  id: 9,
  practice_id: 1,
  couple_id: 3,
  exercise_id: 1,
  exercise_version: 1,
  exercise_title: 'An apology',
  assignee_id: 7,
  assignee_seat: 'a',
  due_on: null,
  note: '',
  status: 'in_progress',
  feedback: '',
  reviewed_at: null,
  visibility: 'therapist',
  submitted_at: null,
  assigned_by: 2,
  reviewed_by: null,
  created_at: '',
  updated_at: '',
  response: { assignment_id: 9, author_id: 7, answers: { words: 'I am sorry.' }, visibility: 'therapist', submitted_at: null, created_at: '', updated_at: '' },
  exercise: {
    id: 1,
    practice_id: null,
    built_in: true,
    version: 1,
    current_version: 1,
    title: 'An apology',
    summary: 'Say what you did and that you are sorry.',
    who: 'offender',
    default_visibility: 'therapist',
    fields: [{ key: 'words', kind: 'long_text', label: 'Your apology', required: true }],
    created_at: '',
    version_created_at: '',
  },
};

function signInAsPartner() {
  session.me = {
    user: testUser({ id: 7, email: 'sam@example.org', name: 'Sam Rivera' }),
    memberships: [testMembership({ practice_id: 1, practice_name: 'Harbor', role: 'client', couple_id: 3 })],
    must_enrol_second_factor: false,
  };
  session.activeIndex = 0;
}

function server(status: CoupleStatus, assignment: AssignmentDetail = detail, extra: Parameters<typeof fakeServer>[0] = {}) {
  return fakeServer({
    ...extra,
    'GET /assignments/9': [200, assignment],
    'GET /assignments/9/comments': [200, { comments: [] }],
    'GET /couples/3': [200, { id: 3, practice_id: 1, label: 'Rivera & Chen', status, concerns: [], partners: [], care_team: [], created_at: '', updated_at: '' }],
  });
}

afterEach(() => vi.unstubAllGlobals());

describe('an exercise', () => {
  it('lets its author answer, choose who reads it and hand it in while the file is open', async () => {
    signInAsPartner();
    server('active');
    render(Assignment, { assignmentID: 9 });

    expect(await screen.findByRole('button', { name: 'Hand in to your therapist' })).toBeInTheDocument();
    expect(screen.getByRole('group', { name: 'Who will see your answer' })).toBeInTheDocument();
  });

  it('is shown to read in a closed file, without a form to answer, share or comment', async () => {
    signInAsPartner();
    server('closed');
    render(Assignment, { assignmentID: 9 });

    expect(await screen.findByText(/Your file is closed/)).toBeInTheDocument();
    expect(screen.getByText('I am sorry.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Hand in to your therapist' })).not.toBeInTheDocument();
    expect(screen.queryByRole('group', { name: /Who (will|can) see your answer/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Send' })).not.toBeInTheDocument();
  });

  it('offers to mark a private answer as done, without promising a review', async () => {
    signInAsPartner();
    const privately = { ...detail, visibility: 'private' as const, response: { ...detail.response!, visibility: 'private' as const } };
    server('active', privately);
    render(Assignment, { assignmentID: 9 });

    expect(await screen.findByRole('button', { name: 'Mark as done' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Hand in to your therapist' })).not.toBeInTheDocument();
    expect(screen.getByText(/Marking it done keeps it for you alone/)).toBeInTheDocument();
    expect(screen.queryByText(/review/i)).not.toBeInTheDocument();
  });

  it('reads a privately done answer as done, not as waiting for review', async () => {
    signInAsPartner();
    const done = {
      ...detail,
      status: 'done_private' as const,
      visibility: 'private' as const,
      submitted_at: '2026-12-01T10:00:00Z',
      response: { ...detail.response!, visibility: 'private' as const, submitted_at: '2026-12-01T10:00:00Z' },
    };
    server('active', done);
    render(Assignment, { assignmentID: 9 });

    expect(await screen.findByText('Done, kept private')).toBeInTheDocument();
    expect(screen.getByText(/^Marked as done/)).toBeInTheDocument();
    expect(screen.queryByText(/waiting for review|Handed in/)).not.toBeInTheDocument();
  });

  it.each([
    ['therapist', 'Hand in to your therapist', 'Handed in. Your therapist will see it and review it.'],
    ['private', 'Mark as done', 'Marked as done. It stays for you alone.'],
  ] as const)('confirms on the next page that a %s answer was finished', async (visibility, button, notice) => {
    signInAsPartner();
    const answer = { ...detail, visibility, response: { ...detail.response!, visibility } };
    server('active', answer, {
      'POST /assignments/9/submit': [200, { ...answer, status: visibility === 'private' ? 'done_private' : 'submitted' }],
      'PUT /assignments/9/draft': [200, answer.response],
    });
    const user = userEvent.setup();
    render(Assignment, { assignmentID: 9 });

    await user.click(await screen.findByRole('button', { name: button }));
    await vi.waitFor(() => expect(router.notice).toBe(notice));
    expect(router.path).toBe('/');
  });

  it('draws every kind of question with the answers saved so far, and saves what changes', async () => {
    signInAsPartner();
    const fields: AssignmentDetail['exercise']['fields'] = [
      { key: 'words', kind: 'long_text', label: 'Your apology', required: true },
      { key: 'steps', kind: 'list', label: 'Your steps', required: false },
      { key: 'felt', kind: 'checklist', label: 'What you felt', required: false, options: ['Shame', 'Relief'] },
    ];
    const saved = { words: 'I am sorry.', steps: ['Call', 'Listen'], felt: ['Relief'] };
    const withKinds = {
      ...detail,
      exercise: { ...detail.exercise, fields },
      response: { ...detail.response!, answers: saved },
    };
    const fake = server('active', withKinds, { 'PUT /assignments/9/draft': [200, withKinds.response] });
    const user = userEvent.setup();
    render(Assignment, { assignmentID: 9 });

    expect(await screen.findByLabelText('Your steps (optional)')).toHaveValue('Call\nListen');
    expect(screen.getByLabelText('Your apology')).toHaveValue('I am sorry.');
    expect(screen.getByLabelText('Relief')).toBeChecked();
    expect(screen.getByLabelText('Shame')).not.toBeChecked();
    await user.click(screen.getByLabelText('Shame'));
    await vi.waitFor(() => expect(fake.bodies('PUT', '/assignments/9/draft').length).toBeGreaterThan(0), { timeout: 5000 });
    expect(fake.bodies('PUT', '/assignments/9/draft').at(-1)).toEqual({ answers: { ...saved, felt: ['Relief', 'Shame'] } });
  });

  it('shows a refused answer beside its question, in the server’s words', async () => {
    signInAsPartner();
    server('active', detail, {
      'POST /assignments/9/submit': invalid('Answer “Your apology” before handing this in.', 'answers.words'),
      'PUT /assignments/9/draft': [200, detail.response],
    });
    const user = userEvent.setup();
    render(Assignment, { assignmentID: 9 });

    await user.click(await screen.findByRole('button', { name: 'Hand in to your therapist' }));
    const box = screen.getByLabelText('Your apology');
    await vi.waitFor(() => expect(box).toHaveAttribute('aria-invalid', 'true'));
    expect(box.closest('.question')).toHaveTextContent('Answer “Your apology” before handing this in.');
    expect(box).toHaveAccessibleDescription('Answer “Your apology” before handing this in.');
    expect(screen.getAllByRole('alert')).toHaveLength(1);
  });
});
