// Words for a couple's file that several screens show.
import type { AssignmentStatus, ConcernOption, Couple, CoupleStatus, ExerciseWho, FieldKind, Seat } from './api';

export const statusWords: Record<CoupleStatus, string> = {
  active: 'Active',
  paused: 'Paused',
  closed: 'Closed',
};

/** A partner's place in the couple, for when their name is not known yet. */
export const seatWords: Record<Seat, string> = {
  a: 'first partner',
  b: 'second partner',
};

export const assignmentStatusWords: Record<AssignmentStatus, string> = {
  assigned: 'Not started',
  in_progress: 'In progress',
  submitted: 'Handed in, waiting for review',
  done_private: 'Done, kept private',
  reviewed: 'Reviewed',
  reopened: 'Reopened for changes',
};

/** How a concern reads, from the server's list; a key the list lacks reads as its words. */
export function concernWord(list: readonly ConcernOption[], key: string): string {
  return list.find((c) => c.key === key)?.label ?? key.replace(/_/g, ' ');
}

export const whoWords: Record<ExerciseWho, string> = {
  offender: 'The partner who broke trust',
  hurt: 'The hurt partner',
  both_together: 'Both partners together',
  each_separately: 'Each partner on their own',
};

export const kindWords: Record<FieldKind, string> = {
  long_text: 'Long answer',
  short_text: 'Short answer',
  scale: 'Scale (a number)',
  checklist: 'Checklist',
  list: 'List of items',
};

/** Whether the couple's file is closed: it is read, and takes only the care team's closing work. */
export function isClosed(couple: Pick<Couple, 'status'> | null | undefined): boolean {
  return couple?.status === 'closed';
}

/** What a closed file still allows, said to each kind of reader. */
export const closedFileWords: Record<'therapist' | 'client', string> = {
  therapist:
    "This couple's file is closed. You can read everything in it, write, sign and add to clinical notes, and cancel booked sessions. To assign exercises, book sessions, invite a partner or start a live session, set the couple to active or paused again.",
  client:
    'Your file is closed. You can still read everything in it, but nothing new can be added: no check-ins, answers, questionnaires, commitments or live sessions. Talk to your therapist if you want to continue.',
};
