// Words for a couple's file that several screens show.
import type { AssignmentStatus, CoupleStatus, ExerciseWho, FieldKind } from './api';

export const statusWords: Record<CoupleStatus, string> = {
  active: 'Active',
  paused: 'Paused',
  closed: 'Closed',
};

export const assignmentStatusWords: Record<AssignmentStatus, string> = {
  assigned: 'Not started',
  in_progress: 'In progress',
  submitted: 'Handed in, waiting for review',
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
