// The access table as people read it: one group per kind of thing, and in each group who may
// do what, in plain words. The rules themselves come from the server untouched.
import type { PolicyRule } from './api';
import { capitalised } from './format';

export interface PolicyRow {
  role: string;
  relation: string;
  /** Plain-words actions, in the order the table lists them. */
  actions: string[];
}

export interface PolicyGroup {
  object: string;
  title: string;
  rows: PolicyRow[];
}

const objectTitles: Record<string, string> = {
  practice: 'The practice',
  member: 'Members',
  invite: 'Invitations',
  audit_log: 'Audit log',
  policy: 'This access table',
  couple: 'Couples',
  care_team: 'Care teams',
  exercise: 'Exercise library',
  assignment: 'Assigned exercises',
  response: 'Answers to exercises',
  comment: 'Comments on answers',
  checkin: 'Daily check-ins',
  commitment: 'Commitments',
  measure: 'Questionnaires',
  note: 'Clinical notes',
  form_template: 'Form templates',
  form: 'Forms',
  screening: 'Safety-screening answers',
  safety_flag: 'Safety notices',
  document: 'Documents',
  appointment: 'Appointments',
  calendar_feed: 'Calendar links',
  working_hours: 'Working hours',
  time_off: 'Time off',
  open_slot: 'Open times',
  appointment_request: 'Requests for a time',
  room: 'Rooms',
  scheduling_settings: 'Cancellation window',
  live_session: 'Live sessions',
  export: 'Exports',
  erasure: 'Erasure',
};

const roleWords: Record<string, string> = {
  admin: 'Administrators',
  therapist: 'Therapists',
  front_desk: 'The front desk',
  client: 'Partners',
};

const relationWords: Record<string, string> = {
  self: 'their own',
  partner: 'what their partner shared with them',
  couple: 'their own couple’s',
  care_team: 'for couples they care for',
  practice: 'anywhere in the practice',
};

const actionWords: Record<string, string> = {
  list: 'see the list',
  read: 'open',
  create: 'create',
  update: 'change',
  revoke: 'withdraw',
  write: 'write',
  submit: 'hand in',
  share: 'choose who sees',
  review: 'review',
  reopen: 'reopen',
  confirm: 'confirm',
  sign: 'sign',
  cancel: 'cancel',
  move: 'move',
  attend: 'record attendance of',
  start: 'open the live room of',
  decide: 'accept or decline',
  rotate: 'renew',
  moderate: 'chair',
  join: 'join',
  export: 'export',
  erase: 'erase',
  delete: 'delete',
  download: 'download the signed copy',
};

/** The words for a key the table does not know: "audit_log" reads "audit log". */
function spaced(key: string): string {
  return key.replace(/_/g, ' ');
}

export function objectTitle(object: string): string {
  return objectTitles[object] ?? capitalised(spaced(object));
}

export function roleWord(role: string): string {
  return roleWords[role] ?? capitalised(spaced(role));
}

export function relationWord(relation: string): string {
  return relationWords[relation] ?? spaced(relation);
}

export function actionWord(action: string): string {
  return actionWords[action] ?? spaced(action);
}

const roleOrder = ['admin', 'therapist', 'client'];

function roleRank(role: string): number {
  const i = roleOrder.indexOf(role);
  return i < 0 ? roleOrder.length : i;
}

/**
 * Groups rules by object in the order the table first names each object; inside a group, one
 * row per role and relation (administrators, therapists, then partners) listing the actions.
 */
export function groupPolicy(rules: PolicyRule[]): PolicyGroup[] {
  const groups = new Map<string, Map<string, { role: string; relation: string; actions: string[] }>>();
  for (const rule of rules) {
    let rows = groups.get(rule.object);
    if (!rows) {
      rows = new Map();
      groups.set(rule.object, rows);
    }
    const key = `${rule.role}\u0000${rule.relation}`;
    let row = rows.get(key);
    if (!row) {
      row = { role: rule.role, relation: rule.relation, actions: [] };
      rows.set(key, row);
    }
    const action = actionWord(rule.action);
    if (!row.actions.includes(action)) row.actions.push(action);
  }
  return [...groups].map(([object, rows]) => ({
    object,
    title: objectTitle(object),
    rows: [...rows.values()]
      .map((row, index) => ({ row, index }))
      .sort((x, y) => roleRank(x.row.role) - roleRank(y.row.role) || x.index - y.index)
      .map(({ row }) => ({ role: roleWord(row.role), relation: relationWord(row.relation), actions: row.actions })),
  }));
}
