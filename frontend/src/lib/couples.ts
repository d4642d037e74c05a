// Words for a couple's file that several screens show.
import type { AssignmentStatus, Couple, CoupleStatus, ExerciseWho, FieldKind, Seat } from './api';

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

export const concernWords: Record<string, string> = {
  infidelity: 'Infidelity',
  broken_promises: 'Broken promises',
  going_back_on_word: 'Going back on their word',
  absent_when_needed: 'Not being there when needed',
  hiding_information: 'Hiding or holding back information',
  lying: 'Lying',
  manipulation: 'Manipulation',
  emotional_withholding: 'Not being open about feelings',
  withholding_affection: 'Holding back affection or intimacy',
  not_taking_responsibility: 'Not taking responsibility',
  addictive_behaviour: 'Addictive behaviour',
  criticism_behind_back: 'Criticising a partner unfairly or behind their back',
  other: 'Something else',
};

export function concernWord(key: string): string {
  return concernWords[key] ?? key.replace(/_/g, ' ');
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
