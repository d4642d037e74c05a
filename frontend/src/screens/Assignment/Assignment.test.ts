import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import Assignment from './Assignment.svelte';
import { fakeServer } from '../../lib/fakeServer';
import { session } from '../../lib/session.svelte';
import type { AssignmentDetail, CoupleStatus } from '../../lib/api';

const detail: AssignmentDetail = {
  id: 9,
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
  created_at: '',
  response: { assignment_id: 9, author_id: 7, answers: { words: 'I am sorry.' }, visibility: 'therapist', submitted_at: null, updated_at: '' },
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
  },
};

function signInAsPartner() {
  session.me = {
    user: { id: 7, email: 'sam@example.org', name: 'Sam Rivera' },
    memberships: [{ practice_id: 1, practice_name: 'Harbor', role: 'client', couple_id: 3 }],
  };
  session.activeIndex = 0;
}

function server(status: CoupleStatus) {
  return fakeServer({
    'GET /assignments/9': [200, detail],
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
});
