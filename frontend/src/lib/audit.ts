// The audit log's actions as people read them: "couple.read" is "Opened a couple's record". The
// codes come from the server (object.action, as in the access table); this is only their wording.
import { actionWord, objectTitle } from './policy';
import { capitalised } from './format';

const actionSentences: Record<string, string> = {
  'appointment.cancel': 'Cancelled an appointment',
  'appointment.create': 'Booked an appointment',
  'appointment.list': 'Listed a couple’s appointments',
  'appointment.move': 'Moved an appointment',
  'appointment.read': 'Opened an appointment',
  'assignment.create': 'Assigned an exercise',
  'assignment.list': 'Listed a couple’s exercises',
  'assignment.read': 'Opened an assigned exercise',
  'assignment.reopen': 'Reopened an exercise for more work',
  'audit_log.list': 'Viewed the audit log',
  'billing.read': 'Viewed a couple’s billing',
  'billing.update': 'Changed a couple’s billing',
  'billing_profile.read': 'Viewed the practice’s billing details',
  'billing_profile.update': 'Changed the practice’s billing details',
  'billing_report.read': 'Viewed a billing report',
  'charge.create': 'Added a charge',
  'charge.void': 'Voided a charge',
  'diagnosis.read': 'Viewed a couple’s diagnosis codes',
  'diagnosis.update': 'Changed a couple’s diagnosis codes',
  'ledger.export': 'Exported the ledger',
  'ledger_entry.create': 'Recorded a payment or adjustment',
  'license.update': 'Changed a therapist’s licence details',
  'service.create': 'Added a billable service',
  'service.update': 'Changed a billable service',
  'statement.read': 'Viewed a statement',
  'superbill.read': 'Viewed a superbill',
  'divergence.read': 'Viewed the partners’ divergence',
  'measure_schedule.list': 'Listed a couple’s questionnaire schedules',
  'measure_schedule.update': 'Changed a questionnaire schedule',
  'treatment_plan.create': 'Drafted a treatment plan',
  'treatment_plan.list': 'Listed a couple’s treatment plans',
  'treatment_plan.read': 'Opened a treatment plan',
  'treatment_plan.update': 'Changed a treatment plan draft',
  'treatment_plan.sign': 'Signed a treatment plan',
  'treatment_plan.acknowledge': 'Acknowledged a treatment plan',
  'form_template.list': 'Listed the forms',
  'form_template.read': 'Opened a form',
  'form_template.create': 'Wrote a new form',
  'form_template.update': 'Changed a form',
  'form.create': 'Sent a form',
  'form.list': 'Listed a couple’s forms',
  'form.read': 'Opened a filled form',
  'form.write': 'Filled in a form',
  'form.submit': 'Handed in a form',
  'form.sign': 'Signed a form',
  'form.share': 'Changed who sees a form',
  'form.download': 'Downloaded a signed form',
  'screening.read': 'Read safety-screening answers',
  'safety_flag.list': 'Viewed safety notices',
  'document.create': 'Added a document',
  'document.list': 'Listed a couple’s documents',
  'document.read': 'Opened a document',
  'document.share': 'Changed who sees a document',
  'document.delete': 'Deleted a document',
  'appointment.attend': 'Recorded attendance',
  'appointment.start': 'Opened a video appointment’s live room',
  'working_hours.read': 'Viewed working hours',
  'working_hours.update': 'Changed working hours',
  'time_off.read': 'Viewed a therapist’s time off',
  'time_off.create': 'Recorded time off',
  'time_off.delete': 'Removed time off',
  'open_slot.list': 'Listed open times',
  'appointment_request.create': 'Asked for an appointment time',
  'appointment_request.list': 'Listed appointment requests',
  'appointment_request.decide': 'Accepted or declined an appointment request',
  'room.create': 'Added a room',
  'room.list': 'Listed the rooms',
  'scheduling_settings.read': 'Viewed the scheduling settings',
  'scheduling_settings.update': 'Changed the scheduling settings',
  'calendar_feed.revoke': 'Withdrew a calendar link',
  'calendar_feed.rotate': 'Renewed a calendar link',
  'care_team.update': 'Changed a care team',
  'checkin.create': 'Recorded a check-in',
  'checkin.list': 'Listed a couple’s check-ins',
  'checkin.read': 'Opened a check-in',
  'checkin.update': 'Changed a check-in',
  'client.read': 'Opened a partner’s account',
  'comment.create': 'Commented on an answer',
  'comment.list': 'Read the comments on an answer',
  'commitment.confirm': 'Confirmed whether a commitment was kept',
  'commitment.create': 'Made a commitment',
  'commitment.list': 'Listed a couple’s commitments',
  'commitment.read': 'Opened a commitment',
  'commitment.update': 'Changed a commitment',
  'couple.create': 'Added a couple',
  'couple.erase': 'Erased a couple’s record',
  'couple.export': 'Exported a couple’s record',
  'couple.list': 'Listed the couples',
  'couple.read': 'Opened a couple’s record',
  'couple.update': 'Changed a couple’s record',
  'exercise.create': 'Wrote a new exercise',
  'exercise.list': 'Listed the exercise library',
  'exercise.read': 'Opened an exercise',
  'exercise.update': 'Changed an exercise',
  'invite.accept': 'Accepted an invitation',
  'invite.create': 'Invited someone',
  'invite.list': 'Listed the invitations',
  'invite.revoke': 'Withdrew an invitation',
  'live_session.create': 'Started a live session',
  'live_session.join': 'Joined a live session',
  'live_session.list': 'Listed a couple’s live sessions',
  'live_session.moderate': 'Chaired a live session',
  'live_session.read': 'Opened a live session',
  'live_session.speak': 'Spoke in a live session',
  'live_session.summary': 'Read a live session’s summary',
  'live_session.transcript': 'Read a live session’s transcript',
  'mail_settings.read': 'Viewed the mail settings',
  'mail_settings.update': 'Changed the mail settings',
  'mailbox.read': 'Read the development mailbox',
  'measure.create': 'Answered a questionnaire',
  'measure.list': 'Listed a couple’s questionnaires',
  'measure.read': 'Opened answers to a questionnaire',
  'measure.update': 'Changed who sees answers to a questionnaire',
  'member.list': 'Listed the members',
  'member.read': 'Opened a member’s account',
  'member.update': 'Changed a member’s roles or access',
  'note.addend': 'Added to a signed clinical note',
  'note.create': 'Wrote a clinical note',
  'note.list': 'Listed a couple’s clinical notes',
  'note.read': 'Opened a clinical note',
  'note.sign': 'Signed a clinical note',
  'note.update': 'Changed a draft clinical note',
  'policy.read': 'Viewed the access table',
  'practice.read': 'Opened the practice’s details',
  'progress.read': 'Viewed a couple’s progress',
  'response.read': 'Read an answer to an exercise',
  'response.review': 'Reviewed an answer to an exercise',
  'response.share': 'Chose who sees an answer',
  'response.submit': 'Handed in an answer',
  'response.write': 'Wrote in an answer',
  'security_settings.read': 'Viewed the sign-in settings',
  'security_settings.update': 'Changed the sign-in settings',
};

/** The views of the audit log and the access table, which the list leaves out unless asked. */
export const logViewActions = ['audit_log.list', 'policy.read'];

/** An action code in words; a code this list does not know yet reads from its parts. */
export function actionSentence(action: string): string {
  const known = actionSentences[action];
  if (known) return known;
  const [object, verb = ''] = action.split('.');
  return capitalised(`${actionWord(verb)}: ${objectTitle(object).toLowerCase()}`);
}

/** The actions to filter by, in words, grouped under what they act on, in the list's order. */
export function actionChoices(): { title: string; actions: { code: string; words: string }[] }[] {
  const groups = new Map<string, { code: string; words: string }[]>();
  for (const [code, words] of Object.entries(actionSentences)) {
    const title = objectTitle(code.split('.')[0]);
    groups.set(title, [...(groups.get(title) ?? []), { code, words }]);
  }
  return [...groups].map(([title, actions]) => ({ title, actions }));
}

/** "1 entry", "25 entries". */
export function entryCount(n: number): string {
  return n === 1 ? '1 entry' : `${n} entries`;
}
