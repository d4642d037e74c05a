// The typed client for Amend's HTTP API (base /api/v1). Every call goes through `request`,
// which sends the session cookie, speaks JSON and turns the server's
// {"error":{"code","message"}} answers into an ApiError carrying the plain-words message.

import type { components } from './api.gen';

/**
 * The schemas of docs/api.yaml, as generated into api.gen.ts (`npm run gen:api`). A type below
 * that is still written by hand is one the description does not yet give as precisely.
 */
type Schemas = components['schemas'];

export type Role = 'admin' | 'therapist' | 'front_desk' | 'client';

export interface User {
  id: number;
  email: string;
  name: string;
}

export interface Membership {
  practice_id: number;
  practice_name: string;
  role: Role;
  couple_id?: number;
}

/** Who is signed in and where: the answer of GET /me. */
export interface Me {
  user: User;
  memberships: Membership[];
  /** True when a practice requires a second factor this person lacks: they may only set one up. */
  must_enrol_second_factor?: boolean;
}

/** The answer of a sign-in (login or accepted invite). The cookie carries the session. */
export interface SignedIn extends Me {
  token: string;
  expires_at: string;
}

/** A right password of an account with a second factor: no session yet, only the code step. */
export type SecondStep = Schemas['SecondStep'];

/** The proof that finishes a sign-in: the app's code, or one unused recovery code. */
export type SecondFactorProof = { code: string } | { recovery_code: string };

/** One's own second factor; the secret is never shown again after enrolment. */
export type SecondFactorStatus = Schemas['SecondFactorStatus'];

/** A new, unconfirmed factor, shown once. */
export type SecondFactorEnrolment = Schemas['SecondFactorEnrolment'];

export type SecuritySettings = Schemas['SecuritySettings'];

/**
 * What an invitation is for, shown before it is accepted. It never says whether the email has an
 * account already: whoever holds the link may not be its owner.
 */
export interface InviteInfo {
  email: string;
  role: Role;
  practice_name: string;
  expires_at: string;
}

export type StaffRole = 'admin' | 'therapist' | 'front_desk';
export type Visibility = Schemas['Visibility'];
export type Seat = 'a' | 'b';

export type Practice = Schemas['Practice'];

/** A person in the practice with their roles there. */
export interface Member {
  user_id: number;
  email: string;
  name: string;
  roles: Role[];
  disabled: boolean;
  created_at: string;
}

export type Invite = Schemas['Invite'];

/** A new invitation with its one-time link, which the server shows only this once. */
export type InviteCreated = Schemas['InviteCreated'];

export type AuditOutcome = 'allowed' | 'denied' | 'failed';

export type AuditEntry = Schemas['AuditEntry'];

export interface AuditFilter {
  actor_id?: number;
  object_type?: string;
  action?: string;
  outcome?: AuditOutcome;
  /** Leave out allowed views of the audit log and the access table. */
  omit_log_views?: boolean;
  /** RFC 3339 times. */
  since?: string;
  until?: string;
  before?: number;
  limit?: number;
}

export interface AuditPage {
  entries: AuditEntry[];
  next_before?: number;
}

/** One line of the access table: a role, standing in a relation to an object, may do an action. */
export interface PolicyRule {
  role: string;
  relation: string;
  object: string;
  action: string;
}

export type CoupleStatus = 'active' | 'paused' | 'closed';

export interface Partner {
  user_id: number;
  name: string;
  seat: Seat;
}

export interface Couple {
  id: number;
  practice_id: number;
  label: string;
  status: CoupleStatus;
  concerns: string[];
  partners: Partner[];
  care_team: { user_id: number; name: string }[];
  /** Open and waiting-for-review assignments the caller may see (single couple answers only). */
  assignments?: { open: number; submitted: number };
  created_at: string;
  updated_at: string;
}

/** The body of POST /practices/{pid}/couples. */
export interface CoupleInput {
  label: string;
  concerns?: string[];
  status?: CoupleStatus;
  therapists?: number[];
}

export type FieldKind = 'long_text' | 'short_text' | 'scale' | 'checklist' | 'list';

/** One prompt of an exercise and the shape of its answer. */
export interface ExerciseField {
  key: string;
  kind: FieldKind;
  label: string;
  help?: string;
  required: boolean;
  min?: number;
  max?: number;
  options?: string[];
  max_length?: number;
}

/** A form question: an exercise field, optionally a safety-screening question (care team only). */
export interface FormField extends ExerciseField {
  screening?: boolean;
  flag_options?: string[];
}

/** What a care team can send: a built-in form (by key) or a practice template (by id). */
export interface FormTemplate {
  id?: number;
  key?: string;
  version: number;
  title: string;
  body: string;
  signature: boolean;
  fields: FormField[];
}

export type FormStatus = Schemas['Form']['status'];

/**
 * A form sent to one partner, as the caller may read it (safety_flagged for the care team only).
 * Its questions and answers keep the exercise types, which the description gives less precisely.
 */
export type Form = Omit<Schemas['Form'], 'fields' | 'answers'> & { fields: FormField[]; answers: Answers };

/** A handed-in form whose safety-screening answers call for the therapist's attention. */
export type SafetyFlag = Schemas['SafetyFlag'];

/** A PDF or an image in a couple's record. */
export type CoupleDocument = Schemas['Document'];

export type ExerciseWho = 'offender' | 'hurt' | 'both_together' | 'each_separately';

/** What an author writes: the body of POST and PUT /practices/{pid}/exercises. */
export interface ExerciseContent {
  title: string;
  summary: string;
  who: ExerciseWho;
  default_visibility: Visibility;
  fields: ExerciseField[];
}

export interface Exercise extends ExerciseContent {
  id: number;
  practice_id: number | null;
  built_in: boolean;
  step?: number;
  version: number;
  current_version: number;
}

/** done_private: handed in while kept private, so done for the partner alone with nothing to review. */
export type AssignmentStatus = 'assigned' | 'in_progress' | 'submitted' | 'done_private' | 'reviewed' | 'reopened';

/** A response's answers keyed by field key: text, a number, or a list of strings. */
export type Answers = Record<string, string | number | string[]>;

export interface ExerciseResponse {
  assignment_id: number;
  author_id: number;
  answers: Answers;
  visibility: Visibility;
  submitted_at: string | null;
  updated_at: string;
}

export interface Assignment {
  id: number;
  couple_id: number;
  exercise_id: number;
  exercise_version: number;
  exercise_title: string;
  assignee_id: number;
  assignee_seat: Seat;
  due_on: string | null;
  note: string;
  status: AssignmentStatus;
  feedback: string;
  reviewed_at: string | null;
  visibility: Visibility;
  submitted_at: string | null;
  created_at: string;
  /** Present when the caller may read the response. */
  response?: ExerciseResponse | null;
}

export interface AssignmentDetail extends Assignment {
  exercise: Exercise;
}

export type Comment = Schemas['Comment'];

export type Checkin = Schemas['Checkin'];

export type CheckinInput = Schemas['CheckinInput'];

export interface CheckinList {
  today: string;
  checkins: Checkin[];
  streaks: { user_id: number; current: number; longest: number }[];
}

export type Commitment = Schemas['Commitment'];

export type CommitmentCheck = Schemas['CommitmentCheck'];

export type KeptTally = Schemas['KeptTally'];

export interface CommitmentList {
  commitments: Commitment[];
  overall: KeptTally;
  by_partner: (KeptTally & { user_id: number })[];
}

export type Measure = Schemas['Measure'];

/** A published severity range of a questionnaire's total, from and to inclusive. */
export type Band = Schemas['Band'];

/** A labelled clinical line on a chart: a cut-off, or where a severity band begins. */
export type Threshold = Schemas['Threshold'];

/** One question of a questionnaire, answered with a whole number from min to max. */
export interface QuestionnaireItem {
  key: string;
  /** The published wording, shown exactly as given. */
  text: string;
  min: number;
  max: number;
  /** The published label of each value from min to max, in order. */
  anchors: string[];
}

export interface Questionnaire {
  key: string;
  name: string;
  citation: string;
  instructions: string;
  items: QuestionnaireItem[];
  max_score: number;
  /** A single cut-off below which a total is of concern; 0 for questionnaires read by bands. */
  cutoff: number;
  cutoff_meaning: string;
  bands: Band[];
  /** Read by the author and the care team only: never shared with the partner, never kept private. */
  care_team_only: boolean;
  safety_item?: string;
}

/** A questionnaire each partner is asked to answer every few weeks. */
export type MeasureSchedule = Schemas['MeasureSchedule'];

/** A scheduled questionnaire the caller has yet to answer in the period that began on due_on. */
export type DueMeasure = Schemas['DueMeasure'];

/** The partners' latest values as of a day, in seat order, and the gap between them. */
export type GapPoint = Schemas['GapPoint'];

/** How far apart the partners stand over time; the care team's only. */
export type Divergence = Schemas['Divergence'];

export interface PlanObjective {
  text: string;
  /** How progress toward the objective is measured. */
  measure: string;
  target_on: string | null;
}

export interface PlanGoal {
  text: string;
  target_on: string | null;
  objectives: PlanObjective[];
  interventions: string[];
}

/**
 * A plan's content, written by hand: docs/api.yaml leaves its fields optional because a plan sent
 * may omit them, while the server always answers with every one.
 */
export interface PlanContent {
  problems: string[];
  goals: PlanGoal[];
  review_on: string | null;
  reviewed_with_couple_on: string | null;
}

/** One version of a couple's treatment plan; a signed version never changes. */
export type TreatmentPlan = Schemas['TreatmentPlan'] & { content: PlanContent };

/** What a partner sends when answering a questionnaire: item key -> chosen value. */
export interface MeasureInput {
  measure_key: string;
  answers: Record<string, number>;
  visibility: Visibility;
}

export type NoteAddendum = Schemas['NoteAddendum'];

export type Note = Schemas['Note'];

export interface NoteTemplate {
  key: string;
  name: string;
  sections: { key: string; label: string; help: string }[];
}

export type AppointmentKind = Schemas['AppointmentKind'];
export type Attendance = NonNullable<Schemas['Appointment']['attendance']>;

export type Appointment = Schemas['Appointment'];

export type Room = Schemas['Room'];

/** Every therapist's appointments of a week, with who and what can be booked. */
export interface PracticeCalendar {
  appointments: Appointment[];
  therapists: { id: number; name: string }[];
  couples: { id: number; label: string; therapists: number[] }[];
  rooms: Room[];
  time_off: TimeOff[];
}

export type TimeOff = Schemas['TimeOff'];
export type TimeOffInput = Schemas['TimeOffInput'];

export type WeeklyHours = Schemas['WeeklyHours'];

export type Slot = Schemas['Slot'];

export type AppointmentRequest = Schemas['AppointmentRequest'];

/** Which optional mail a person wants; security mail is always sent. */
export type MailPreferences = Schemas['MailPreferences'];

export interface BillingProfile {
  name: string;
  address: string;
  npi: string;
  tax_id: string;
  session_service_id: number | null;
  no_show_fee_cents: number;
  late_cancel_fee_cents: number;
}

export interface Service {
  id: number;
  cpt_code: string;
  description: string;
  duration_minutes: number;
  fee_cents: number;
  active: boolean;
}

export interface ServiceInput {
  cpt_code: string;
  description: string;
  duration_minutes: number;
  fee_cents: number;
  active?: boolean;
}

export interface BillingSettings {
  profile: BillingProfile;
  services: Service[];
  licenses: { therapist_id: number; therapist_name: string; license_number: string }[];
}

export type EntryKind = 'charge' | 'payment' | 'refund' | 'write_off' | 'adjustment' | 'reversal';
export type ChargeKind = 'session' | 'no_show' | 'late_cancel';
export type PaymentMethod = 'cash' | 'cheque' | 'card';

/** One line of the append-only ledger; amount_cents is its effect on what the payer owes. */
export interface LedgerEntry {
  id: number;
  couple_id: number;
  couple_label: string;
  payer_id: number | null;
  payer_name: string;
  kind: EntryKind;
  amount_cents: number;
  posted_on: string;
  appointment_id: number | null;
  charge_kind: ChargeKind | null;
  therapist_id: number | null;
  cpt_code: string;
  description: string;
  method: PaymentMethod | null;
  reference: string;
  reverses_id: number | null;
  voided: boolean;
  created_at: string;
}

export interface Share {
  partner_id: number;
  partner_name?: string;
  percent: number;
}

export interface Balance {
  payer_id: number | null;
  payer_name: string;
  balance_cents: number;
}

export interface CoupleBilling {
  shares: Share[];
  balances: Balance[];
  entries: LedgerEntry[];
}

/** A payment, refund, write-off or adjustment recorded by hand. */
export interface EntryInput {
  kind: 'payment' | 'refund' | 'write_off' | 'adjustment';
  payer_id?: number;
  amount_cents: number;
  method?: PaymentMethod;
  reference?: string;
  posted_on?: string;
}

export interface Statement {
  from: string;
  to: string;
  opening_balance_cents: number;
  entries: LedgerEntry[];
  charges_cents: number;
  payments_cents: number;
  adjustments_cents: number;
  closing_balance_cents: number;
}

export interface DateRange {
  from?: string;
  to?: string;
}


export interface MailSettings {
  /** Minutes before an appointment that its reminders go out. */
  reminder_lead_minutes: number[];
}

/** A message kept in the development mailbox (no mail server configured). */
export type SentMail = Schemas['SentMail'];

export interface AppointmentInput {
  starts_at: string;
  duration_minutes?: number;
  time_zone?: string;
  therapist_id?: number;
  kind?: AppointmentKind;
  room_id?: number;
  /** The booking records a session that already took place. */
  record_past?: boolean;
  /** Book the therapist even in their time off. */
  override_time_off?: boolean;
}

export interface SeriesInput extends AppointmentInput {
  interval_weeks: 1 | 2;
  count: number;
}

export interface WeekRate {
  week_start: string;
  done: number;
  total: number;
  rate: number | null;
}

export interface RateSeries {
  done: number;
  total: number;
  rate: number | null;
  weeks: WeekRate[];
}

export interface PartnerProgress {
  user_id: number;
  name: string;
  seat: Seat;
  checkins: { day: string; trust: number; safety: number }[];
  measures: { measure_key: string; taken_at: string; score: number; below_cutoff: boolean; band?: string }[];
  /** Kept share of this partner's commitments, as the other partner confirmed them. */
  commitments: RateSeries;
  /** Share of this partner's assignments completed. */
  exercises: RateSeries;
}

/** A couple's series over time, per partner, limited to what the reader may see. */
export interface Progress {
  couple_id: number;
  today: string;
  questionnaires: { key: string; name: string; max_score: number; cutoff: number; bands: Band[]; thresholds: Threshold[] }[];
  partners: PartnerProgress[];
}

/** A live session as listed for a couple; its screen lives at /live/{id}. */
export interface LiveSessionSummary {
  id: number;
  couple_id: number;
  status: string;
  created_at: string;
  ended_at?: string | null;
}

export type LiveMode = 'turns' | 'listener';
export type LiveRole = 'chair' | Seat | 'system';

/** What the chair chooses when opening a live session; the server's defaults fill the rest. */
export interface LiveSessionInput {
  mode?: LiveMode;
  turn_seconds?: number;
  min_break_seconds?: number;
  /** Show a partner's typing to the others as it is written; off unless chosen. */
  show_drafts?: boolean;
}

/** The floor of a live session as of seq (docs/protocol.md); absent fields are unset. */
export interface LiveState {
  seq: number;
  mode: LiveMode;
  turn_seconds: number;
  min_break_seconds: number;
  /** Whether the holder's typing is relayed to the others as it is written. */
  show_drafts?: boolean;
  holder?: Seat;
  phase?: 'speaking' | 'paraphrase' | 'confirm';
  paraphrase?: string;
  queue?: Seat[];
  deadline?: string;
  held_since?: string;
  paused: boolean;
  paused_by?: LiveRole;
  pause_reason?: string;
  break_until?: string;
  remaining_ms?: number;
  ready?: Seat[];
  ended: boolean;
  talk_ms: Record<Seat, number>;
  utterances: Record<Seat, number>;
  /** Present once a partner was heard speaking over the other (voice sessions). */
  spoken_interruptions?: Record<Seat, number>;
}

/** One numbered event of a live session, as the WebSocket and the transcript carry it. */
export interface LiveEvent {
  seq: number;
  type: string;
  actor: { user_id: number; role: LiveRole };
  at: string;
  seat?: Seat;
  text?: string;
  seconds?: number;
  mode?: LiveMode;
  reason?: string;
  deadline?: string;
  break_until?: string;
  turn_seconds?: number;
  min_break_seconds?: number;
}

/** A live session with its current state: the answer of GET /live/{id}. */
export type LiveSession = Schemas['LiveSession'];

/**
 * Talk time (seconds), utterances, refused out-of-turn says and (from servers with voice) spoken
 * interruptions per seat, for the care team.
 */
export interface LiveSummary {
  session_id: number;
  status: string;
  seq: number;
  summary: {
    talk_seconds: Record<Seat, number>;
    utterances: Record<Seat, number>;
    blocked_interruptions: Record<Seat, number>;
    spoken_interruptions?: Record<Seat, number>;
  };
}

export interface CalendarFeed {
  token: string;
  url: string;
}

/** Error codes the server documents, plus the two the client makes itself. */
export type ErrorCode =
  | 'invalid_credentials'
  | 'rate_limited'
  | 'unauthenticated'
  | 'not_found'
  | 'invalid'
  | 'forbidden'
  | 'conflict'
  | 'couple_closed'
  | 'network'
  | 'server'
  | (string & {});

/** A request that did not succeed, with a message fit to show to the person using the app. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  /** Seconds to wait before trying again, from a 429 answer's Retry-After header. */
  readonly retryAfterSeconds?: number;
  /** For input errors, the name of the field at fault (e.g. an exercise answer's key). */
  readonly field?: string;

  constructor(status: number, code: ErrorCode, message: string, retryAfterSeconds?: number, field?: string) {
    super(message);
    this.field = field;
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export const API_BASE = '/api/v1';

/** Where a signed form's PDF is downloaded. */
export function signedFormURL(formID: number): string {
  return `${API_BASE}/forms/${formID}/signed.pdf`;
}

/** Where a document's file is downloaded. */
export function documentURL(documentID: number): string {
  return `${API_BASE}/documents/${documentID}/content`;
}

const fallbackMessages: Record<string, string> = {
  invalid_credentials: 'That email and password do not match an account.',
  rate_limited: 'Too many attempts. Please wait a little and try again.',
  unauthenticated: 'Please sign in to continue.',
  not_found: 'We could not find what you asked for.',
  invalid: 'Some of the details are not right. Please check them and try again.',
  forbidden: 'You do not have permission to do that.',
  network: 'We could not reach Amend. Check your connection and try again.',
  server: 'Something went wrong on our side. Please try again in a moment.',
};

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return 'unauthenticated';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 422:
      return 'invalid';
    case 429:
      return 'rate_limited';
    default:
      return status >= 500 ? 'server' : 'invalid';
  }
}

function parseRetryAfter(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

async function errorFrom(response: Response): Promise<ApiError> {
  let code: ErrorCode = codeForStatus(response.status);
  let message = '';
  let field: string | undefined;
  try {
    const body: unknown = await response.json();
    const error = (body as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)?.error;
    if (typeof error?.code === 'string' && error.code !== '') code = error.code;
    if (typeof error?.message === 'string') message = error.message.trim();
    if (typeof error?.field === 'string' && error.field !== '') field = error.field;
  } catch {
    // Not JSON (a proxy's error page, say): the status alone decides.
  }
  // Server faults never show their own text: it may be technical and it never helps the reader.
  if (response.status >= 500) {
    code = 'server';
    message = '';
  }
  if (message === '') message = fallbackMessages[code] ?? fallbackMessages.server;
  return new ApiError(response.status, code, message, parseRetryAfter(response.headers.get('Retry-After')), field);
}

/** Builds "?a=1&b=x" from the defined values of params, or "" when there are none. */
export function queryString(params: object): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

export interface ApiOptions {
  /** The fetch to use; defaults to the global one, looked up at call time. */
  fetch?: typeof fetch;
  /** Called when a request that needs a session answers 401: the session has ended. */
  onUnauthenticated?: (error: ApiError) => void;
}

interface RequestOptions {
  body?: unknown;
  /** Bytes sent as they are (a file), instead of a JSON body. */
  file?: Blob;
  /** False for the calls that sign in: their 401 means wrong details, not an ended session. */
  needsSession?: boolean;
}

export function createApi(options: ApiOptions = {}) {
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const init: RequestInit = { method, headers, credentials: 'same-origin' };
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    } else if (opts.file !== undefined) {
      headers['Content-Type'] = 'application/octet-stream';
      init.body = opts.file;
    }

    let response: Response;
    try {
      response = await doFetch(API_BASE + path, init);
    } catch {
      throw new ApiError(0, 'network', fallbackMessages.network);
    }

    if (!response.ok) {
      const error = await errorFrom(response);
      // A wrong password (code invalid_credentials) answers 401 too, but ends no session.
      if (response.status === 401 && error.code !== 'invalid_credentials' && opts.needsSession !== false) {
        options.onUnauthenticated?.(error);
      }
      throw error;
    }
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  return {
    /**
     * Signs in with email and password; the server sets the session cookie, or, for an account
     * with a second factor, answers the code step instead.
     */
    login(email: string, password: string): Promise<SignedIn | SecondStep> {
      return request('POST', '/auth/login', { body: { email, password }, needsSession: false });
    },

    /** Finishes a sign-in with a code; "invalid_credentials" for a wrong or used code. */
    loginSecondStep(challenge: string, proof: SecondFactorProof): Promise<SignedIn> {
      return request('POST', '/auth/login/second-factor', { body: { challenge, ...proof }, needsSession: false });
    },

    secondFactor(): Promise<SecondFactorStatus> {
      return request('GET', '/me/second-factor');
    },

    beginSecondFactor(): Promise<SecondFactorEnrolment> {
      return request('POST', '/me/second-factor');
    },

    /** Turns the pending factor on; answers the recovery codes, shown this once. */
    confirmSecondFactor(code: string): Promise<{ recovery_codes: string[] }> {
      return request('POST', '/me/second-factor/confirm', { body: { code } });
    },

    disableSecondFactor(proof: { code: string } | { password: string }): Promise<void> {
      return request('POST', '/me/second-factor/disable', { body: proof });
    },

    securitySettings(practiceID: number): Promise<SecuritySettings> {
      return request('GET', `/practices/${practiceID}/security-settings`);
    },

    setSecuritySettings(practiceID: number, settings: SecuritySettings): Promise<SecuritySettings> {
      return request('PUT', `/practices/${practiceID}/security-settings`, { body: settings });
    },

    /** Ends the session on the server and clears its cookie. */
    logout(): Promise<void> {
      return request('POST', '/auth/logout', { needsSession: false });
    },

    /** Who is signed in; fails with code "unauthenticated" when nobody is. */
    me(): Promise<Me> {
      return request('GET', '/me');
    },

    /** What an invitation is for; fails with code "not_found" for unknown, used or expired links. */
    invite(token: string): Promise<InviteInfo> {
      return request('GET', `/invites/${encodeURIComponent(token)}`, { needsSession: false });
    },

    /**
     * Accepts an invitation by creating its account, and signs the new user in. Fails with code
     * "conflict" when the email has an account already: that account signs in, then joins.
     */
    acceptInvite(token: string, name: string, password: string): Promise<SignedIn> {
      return request('POST', `/invites/${encodeURIComponent(token)}/accept`, {
        body: { name, password },
        needsSession: false,
      });
    },

    /**
     * Accepts an invitation as the signed-in account, which must be the one it was sent to (else
     * code "forbidden"); the session stays as it is.
     */
    joinByInvite(token: string): Promise<Me> {
      return request('POST', `/invites/${encodeURIComponent(token)}/accept`);
    },

    practice(practiceID: number): Promise<Practice> {
      return request('GET', `/practices/${practiceID}`);
    },

    /** The practice's members, or only those holding `role`. */
    members(practiceID: number, role?: Role): Promise<Member[]> {
      return request<{ members: Member[] }>('GET', `/practices/${practiceID}/members${queryString({ role })}`).then(
        (r) => r.members,
      );
    },

    /** Changes a member's staff roles, or disables (or re-enables) their account. */
    updateMember(practiceID: number, userID: number, change: { roles?: StaffRole[]; disabled?: boolean }): Promise<Member> {
      return request('PATCH', `/practices/${practiceID}/members/${userID}`, { body: change });
    },

    invites(practiceID: number, open = true): Promise<Invite[]> {
      return request<{ invites: Invite[] }>('GET', `/practices/${practiceID}/invites${queryString({ open })}`).then(
        (r) => r.invites,
      );
    },

    createInvite(practiceID: number, email: string, role: StaffRole): Promise<InviteCreated> {
      return request('POST', `/practices/${practiceID}/invites`, { body: { email, role } });
    },

    revokeInvite(practiceID: number, inviteID: number): Promise<void> {
      return request('DELETE', `/practices/${practiceID}/invites/${inviteID}`);
    },

    audit(practiceID: number, filter: AuditFilter = {}): Promise<AuditPage> {
      return request('GET', `/practices/${practiceID}/audit${queryString(filter)}`);
    },

    policy(practiceID: number): Promise<PolicyRule[]> {
      return request<{ rules: PolicyRule[] }>('GET', `/practices/${practiceID}/policy`).then((r) => r.rules);
    },

    couples(practiceID: number, filter: { status?: CoupleStatus; therapist?: number } = {}): Promise<Couple[]> {
      return request<{ couples: Couple[] }>('GET', `/practices/${practiceID}/couples${queryString(filter)}`).then(
        (r) => r.couples,
      );
    },

    couple(coupleID: number): Promise<Couple> {
      return request('GET', `/couples/${coupleID}`);
    },

    /** Opens a couple's file. A therapist who leaves out `therapists` is its care team. */
    createCouple(practiceID: number, input: CoupleInput): Promise<Couple> {
      return request('POST', `/practices/${practiceID}/couples`, { body: input });
    },

    /** Changes a couple's label, concerns or status; closing makes the file read-only. */
    updateCouple(coupleID: number, change: Partial<Pick<CoupleInput, 'label' | 'concerns' | 'status'>>): Promise<Couple> {
      return request('PATCH', `/couples/${coupleID}`, { body: change });
    },

    /** Replaces the care team with these therapists of the practice. */
    setCareTeam(coupleID: number, therapists: number[]): Promise<Couple> {
      return request('PUT', `/couples/${coupleID}/care-team`, { body: { therapists } });
    },

    /** What the signed-in reader may open of the couple's record, as JSON, for a download. */
    exportCouple(coupleID: number): Promise<unknown> {
      return request('GET', `/couples/${coupleID}/export`);
    },

    /** The address of the printable page of that same export (opened in the browser). */
    exportCoupleSummaryURL(coupleID: number): string {
      return `${API_BASE}/couples/${coupleID}/export.html`;
    },

    /** Erases a couple's record; the label must be typed again as confirmation. */
    eraseCouple(coupleID: number, confirmLabel: string): Promise<unknown> {
      return request('POST', `/couples/${coupleID}/erase`, { body: { confirm: confirmLabel } });
    },

    exercises(practiceID: number): Promise<Exercise[]> {
      return request<{ exercises: Exercise[] }>('GET', `/practices/${practiceID}/exercises`).then((r) => r.exercises);
    },

    exercise(practiceID: number, exerciseID: number): Promise<Exercise> {
      return request('GET', `/practices/${practiceID}/exercises/${exerciseID}`);
    },

    createExercise(practiceID: number, content: ExerciseContent): Promise<Exercise> {
      return request('POST', `/practices/${practiceID}/exercises`, { body: content });
    },

    /** Saves content as the exercise's next version; assignments already given keep theirs. */
    reviseExercise(practiceID: number, exerciseID: number, content: ExerciseContent): Promise<Exercise> {
      return request('PUT', `/practices/${practiceID}/exercises/${exerciseID}`, { body: content });
    },

    assignments(coupleID: number): Promise<Assignment[]> {
      return request<{ assignments: Assignment[] }>('GET', `/couples/${coupleID}/assignments`).then(
        (r) => r.assignments,
      );
    },

    assign(
      coupleID: number,
      input: { exercise_id: number; for: Seat | 'both'; due_on?: string; note?: string },
    ): Promise<Assignment[]> {
      return request<{ assignments: Assignment[] }>('POST', `/couples/${coupleID}/assignments`, { body: input }).then(
        (r) => r.assignments,
      );
    },

    assignment(assignmentID: number): Promise<AssignmentDetail> {
      return request('GET', `/assignments/${assignmentID}`);
    },

    saveDraft(assignmentID: number, answers: Answers): Promise<ExerciseResponse> {
      return request('PUT', `/assignments/${assignmentID}/draft`, { body: { answers } });
    },

    submitResponse(assignmentID: number, answers: Answers): Promise<ExerciseResponse> {
      return request('POST', `/assignments/${assignmentID}/submit`, { body: { answers } });
    },

    shareResponse(assignmentID: number, visibility: Visibility): Promise<ExerciseResponse> {
      return request('PUT', `/assignments/${assignmentID}/visibility`, { body: { visibility } });
    },

    reviewResponse(assignmentID: number, feedback: string): Promise<Assignment> {
      return request('POST', `/assignments/${assignmentID}/review`, { body: { feedback } });
    },

    reopenAssignment(assignmentID: number): Promise<Assignment> {
      return request('POST', `/assignments/${assignmentID}/reopen`);
    },

    comments(assignmentID: number): Promise<Comment[]> {
      return request<{ comments: Comment[] }>('GET', `/assignments/${assignmentID}/comments`).then((r) => r.comments);
    },

    addComment(assignmentID: number, body: string, parentID?: number): Promise<Comment> {
      return request('POST', `/assignments/${assignmentID}/comments`, { body: { body, parent_id: parentID } });
    },

    formTemplates(practiceID: number): Promise<{ builtin: FormTemplate[]; templates: FormTemplate[] }> {
      return request('GET', `/practices/${practiceID}/form-templates`);
    },

    /** Sends a built-in form (by key) or a practice template (by id) to one or both partners. */
    sendForm(coupleID: number, input: { builtin?: string; template_id?: number; for: Seat | 'both' }): Promise<Form[]> {
      return request<{ forms: Form[] }>('POST', `/couples/${coupleID}/forms`, { body: input }).then((r) => r.forms);
    },

    forms(coupleID: number): Promise<Form[]> {
      return request<{ forms: Form[] }>('GET', `/couples/${coupleID}/forms`).then((r) => r.forms);
    },

    form(formID: number): Promise<Form> {
      return request('GET', `/forms/${formID}`);
    },

    saveFormDraft(formID: number, answers: Answers): Promise<Form> {
      return request('PUT', `/forms/${formID}/draft`, { body: { answers } });
    },

    submitForm(formID: number, answers: Answers): Promise<Form> {
      return request('POST', `/forms/${formID}/submit`, { body: { answers } });
    },

    /** Signs a consent with the typed name; the form never changes afterwards. */
    signForm(formID: number, answers: Answers, name: string): Promise<Form> {
      return request('POST', `/forms/${formID}/sign`, { body: { answers, name, confirm: true } });
    },

    shareForm(formID: number, visibility: 'therapist' | 'partner'): Promise<Form> {
      return request('PUT', `/forms/${formID}/visibility`, { body: { visibility } });
    },

    /** The care team's safety notices for the couple page. */
    safetyFlags(coupleID: number): Promise<SafetyFlag[]> {
      return request<{ safety_flags: SafetyFlag[] }>('GET', `/couples/${coupleID}/safety-flags`).then((r) => r.safety_flags);
    },

    documents(coupleID: number): Promise<CoupleDocument[]> {
      return request<{ documents: CoupleDocument[] }>('GET', `/couples/${coupleID}/documents`).then((r) => r.documents);
    },

    /** Adds a file to the couple's record; the server reads its type from its bytes. */
    uploadDocument(coupleID: number, file: File, visibility: Visibility): Promise<CoupleDocument> {
      return request('POST', `/couples/${coupleID}/documents${queryString({ name: file.name, visibility })}`, { file });
    },

    feelingWords(): Promise<string[]> {
      return request<{ feeling_words: string[] }>('GET', '/feeling-words').then((r) => r.feeling_words);
    },

    checkins(coupleID: number, range: { from?: string; to?: string } = {}): Promise<CheckinList> {
      return request('GET', `/couples/${coupleID}/checkins${queryString(range)}`);
    },

    /** Records today's check-in; a second one on the same day replaces the first. */
    saveCheckin(coupleID: number, input: CheckinInput): Promise<Checkin> {
      return request('POST', `/couples/${coupleID}/checkins`, { body: input });
    },

    updateCheckin(checkinID: number, change: Partial<CheckinInput>): Promise<Checkin> {
      return request('PATCH', `/checkins/${checkinID}`, { body: change });
    },

    commitments(coupleID: number): Promise<CommitmentList> {
      return request('GET', `/couples/${coupleID}/commitments`);
    },

    createCommitment(coupleID: number, text: string, cadence: 'daily' | 'weekly'): Promise<Commitment> {
      return request('POST', `/couples/${coupleID}/commitments`, { body: { text, cadence } });
    },

    /** The other partner confirms whether the current period of a commitment was kept. */
    confirmCommitment(commitmentID: number, status: 'kept' | 'missed', note: string): Promise<CommitmentCheck> {
      return request('POST', `/commitments/${commitmentID}/checks`, { body: { status, note } });
    },

    commitment(commitmentID: number): Promise<Commitment & { checks: CommitmentCheck[] }> {
      return request('GET', `/commitments/${commitmentID}`);
    },

    questionnaires(): Promise<Questionnaire[]> {
      return request<{ questionnaires: Questionnaire[] }>('GET', '/questionnaires').then((r) => r.questionnaires);
    },

    /** Answers a questionnaire; the server scores it. */
    createMeasure(coupleID: number, input: MeasureInput): Promise<Measure> {
      return request('POST', `/couples/${coupleID}/measures`, { body: input });
    },

    measures(coupleID: number): Promise<Measure[]> {
      return request<{ measures: Measure[] }>('GET', `/couples/${coupleID}/measures`).then((r) => r.measures);
    },

    progress(coupleID: number): Promise<Progress> {
      return request('GET', `/couples/${coupleID}/progress`);
    },

    /** The gap between the partners over time; the care team's only (others are answered 404). */
    divergence(coupleID: number): Promise<Divergence> {
      return request('GET', `/couples/${coupleID}/divergence`);
    },

    measureSchedules(coupleID: number): Promise<MeasureSchedule[]> {
      return request<{ measure_schedules: MeasureSchedule[] }>('GET', `/couples/${coupleID}/measure-schedules`).then(
        (r) => r.measure_schedules,
      );
    },

    /** Asks each partner to answer a questionnaire every N weeks, from starts_on (today when left out). */
    setMeasureSchedule(coupleID: number, key: string, everyWeeks: number, startsOn?: string): Promise<MeasureSchedule> {
      return request('PUT', `/couples/${coupleID}/measure-schedules/${encodeURIComponent(key)}`, {
        body: startsOn ? { every_weeks: everyWeeks, starts_on: startsOn } : { every_weeks: everyWeeks },
      });
    },

    deleteMeasureSchedule(coupleID: number, key: string): Promise<void> {
      return request('DELETE', `/couples/${coupleID}/measure-schedules/${encodeURIComponent(key)}`);
    },

    /** The scheduled questionnaires the signed-in partner has yet to answer. */
    measuresDue(coupleID: number): Promise<DueMeasure[]> {
      return request<{ due: DueMeasure[] }>('GET', `/couples/${coupleID}/measures-due`).then((r) => r.due);
    },

    /** The versions of the couple's plan the caller may read, newest first. */
    treatmentPlans(coupleID: number): Promise<TreatmentPlan[]> {
      return request<{ treatment_plans: TreatmentPlan[] }>('GET', `/couples/${coupleID}/treatment-plans`).then(
        (r) => r.treatment_plans,
      );
    },

    /** Starts the next version of the couple's plan as a draft. */
    createTreatmentPlan(coupleID: number, content: PlanContent): Promise<TreatmentPlan> {
      return request('POST', `/couples/${coupleID}/treatment-plans`, { body: { content } });
    },

    updateTreatmentPlan(planID: number, content: PlanContent): Promise<TreatmentPlan> {
      return request('PUT', `/treatment-plans/${planID}`, { body: { content } });
    },

    /** Signs and locks a draft: it becomes the version the couple reads. */
    signTreatmentPlan(planID: number): Promise<TreatmentPlan> {
      return request('POST', `/treatment-plans/${planID}/sign`);
    },

    acknowledgeTreatmentPlan(planID: number): Promise<TreatmentPlan> {
      return request('POST', `/treatment-plans/${planID}/acknowledge`);
    },

    /** Invites a partner to a seat of the couple; the one-time link is in the answer. */
    invitePartner(coupleID: number, seat: Seat, email: string): Promise<InviteCreated> {
      return request('POST', `/couples/${coupleID}/invites`, { body: { seat, email } });
    },

    liveSessions(coupleID: number): Promise<LiveSessionSummary[]> {
      return request<{ sessions: LiveSessionSummary[] }>('GET', `/couples/${coupleID}/live-sessions`).then(
        (r) => r.sessions,
      );
    },

    /** Opens a live session for the couple; settings left out take the server's defaults. */
    startLiveSession(coupleID: number, input: LiveSessionInput = {}): Promise<LiveSessionSummary> {
      return request('POST', `/couples/${coupleID}/live-sessions`, { body: input });
    },

    liveSession(sessionID: number): Promise<LiveSession> {
      return request('GET', `/live/${sessionID}`);
    },

    /** Talk time and blocked interruptions per partner (the care team only). */
    liveSummary(sessionID: number): Promise<LiveSummary> {
      return request('GET', `/live/${sessionID}/summary`);
    },

    noteTemplates(): Promise<NoteTemplate[]> {
      return request<{ templates: NoteTemplate[] }>('GET', '/note-templates').then((r) => r.templates);
    },

    notes(coupleID: number): Promise<Note[]> {
      return request<{ notes: Note[] }>('GET', `/couples/${coupleID}/notes`).then((r) => r.notes);
    },

    /** A draft note; appointmentID names the session it records. */
    createNote(coupleID: number, template: string, sections: Record<string, string>, appointmentID?: number): Promise<Note> {
      return request('POST', `/couples/${coupleID}/notes`, { body: { template, sections, appointment_id: appointmentID } });
    },

    updateNote(noteID: number, sections: Record<string, string>): Promise<Note> {
      return request('PATCH', `/notes/${noteID}`, { body: { sections } });
    },

    /** One note with its addenda. */
    note(noteID: number): Promise<Note> {
      return request('GET', `/notes/${noteID}`);
    },

    /** Adds to a signed note, which itself stays as it was signed. */
    addAddendum(noteID: number, text: string): Promise<NoteAddendum> {
      return request('POST', `/notes/${noteID}/addenda`, { body: { text } });
    },

    signNote(noteID: number): Promise<Note> {
      return request('POST', `/notes/${noteID}/sign`);
    },

    coupleAppointments(coupleID: number): Promise<Appointment[]> {
      return request<{ appointments: Appointment[] }>('GET', `/couples/${coupleID}/appointments`).then(
        (r) => r.appointments,
      );
    },

    /** A therapist's own schedule between from and to (RFC 3339). */
    therapistAppointments(practiceID: number, userID: number, range: { from?: string; to?: string }): Promise<Appointment[]> {
      return request<{ appointments: Appointment[] }>(
        'GET',
        `/practices/${practiceID}/members/${userID}/appointments${queryString(range)}`,
      ).then((r) => r.appointments);
    },

    createAppointment(coupleID: number, input: AppointmentInput): Promise<Appointment> {
      return request('POST', `/couples/${coupleID}/appointments`, { body: input });
    },

    cancelAppointment(appointmentID: number): Promise<Appointment> {
      return request('POST', `/appointments/${appointmentID}/cancel`);
    },

    /** A new time for an appointment; its reminders move with it. */
    moveAppointment(appointmentID: number, input: { starts_at: string; duration_minutes?: number }): Promise<Appointment> {
      return request('POST', `/appointments/${appointmentID}/move`, { body: input });
    },

    /** Moves an occurrence of a series and every later one with it; answers the whole series. */
    moveFollowing(appointmentID: number, startsAt: string): Promise<Appointment[]> {
      return request<{ appointments: Appointment[] }>('POST', `/appointments/${appointmentID}/move`, {
        body: { starts_at: startsAt, scope: 'following' },
      }).then((r) => r.appointments);
    },

    /** Books a weekly or every-other-week series; answers its occurrences. */
    createSeries(coupleID: number, input: SeriesInput): Promise<Appointment[]> {
      return request<{ appointments: Appointment[] }>('POST', `/couples/${coupleID}/appointment-series`, {
        body: input,
      }).then((r) => r.appointments);
    },

    recordAttendance(appointmentID: number, attendance: Attendance): Promise<Appointment> {
      return request('POST', `/appointments/${appointmentID}/attendance`, { body: { attendance } });
    },

    /** Opens a video appointment's live room, creating its live session the first time. */
    openVideoRoom(appointmentID: number): Promise<{ live_session_id: number }> {
      return request('POST', `/appointments/${appointmentID}/live`);
    },

    practiceCalendar(practiceID: number, range: { from: string; to: string }): Promise<PracticeCalendar> {
      return request('GET', `/practices/${practiceID}/calendar${queryString(range)}`);
    },

    createRoom(practiceID: number, name: string): Promise<Room> {
      return request('POST', `/practices/${practiceID}/rooms`, { body: { name } });
    },

    schedulingSettings(practiceID: number): Promise<{ cancellation_window_hours: number }> {
      return request('GET', `/practices/${practiceID}/scheduling-settings`);
    },

    setSchedulingSettings(practiceID: number, hours: number): Promise<{ cancellation_window_hours: number }> {
      return request('PUT', `/practices/${practiceID}/scheduling-settings`, { body: { cancellation_window_hours: hours } });
    },

    timeOff(practiceID: number, userID: number, range: { from: string; to: string }): Promise<{ time_off: TimeOff[] }> {
      return request('GET', `/practices/${practiceID}/members/${userID}/time-off${queryString(range)}`);
    },

    addTimeOff(practiceID: number, userID: number, body: TimeOffInput): Promise<TimeOff> {
      return request('POST', `/practices/${practiceID}/members/${userID}/time-off`, { body });
    },

    deleteTimeOff(practiceID: number, userID: number, id: number): Promise<void> {
      return request('DELETE', `/practices/${practiceID}/members/${userID}/time-off/${id}`);
    },

    workingHours(practiceID: number, userID: number): Promise<WeeklyHours> {
      return request('GET', `/practices/${practiceID}/members/${userID}/working-hours`);
    },

    setWorkingHours(practiceID: number, userID: number, week: WeeklyHours): Promise<WeeklyHours> {
      return request('PUT', `/practices/${practiceID}/members/${userID}/working-hours`, { body: week });
    },

    openSlots(coupleID: number, therapistID: number, range: { from?: string; to?: string } = {}): Promise<Slot[]> {
      return request<{ slots: Slot[] }>(
        'GET',
        `/couples/${coupleID}/open-slots${queryString({ therapist_id: therapistID, ...range })}`,
      ).then((r) => r.slots);
    },

    appointmentRequests(coupleID: number): Promise<AppointmentRequest[]> {
      return request<{ requests: AppointmentRequest[] }>('GET', `/couples/${coupleID}/appointment-requests`).then(
        (r) => r.requests,
      );
    },

    requestAppointment(coupleID: number, input: { therapist_id: number; starts_at: string; kind?: AppointmentKind }): Promise<AppointmentRequest> {
      return request('POST', `/couples/${coupleID}/appointment-requests`, { body: input });
    },

    decideAppointmentRequest(requestID: number, decision: 'accept' | 'decline'): Promise<AppointmentRequest> {
      return request('POST', `/appointment-requests/${requestID}/${decision}`);
    },

    billingSettings(practiceID: number): Promise<BillingSettings> {
      return request('GET', `/practices/${practiceID}/billing`);
    },

    setBillingProfile(practiceID: number, profile: BillingProfile): Promise<BillingSettings> {
      return request('PUT', `/practices/${practiceID}/billing`, { body: profile });
    },

    createService(practiceID: number, input: ServiceInput): Promise<Service> {
      return request('POST', `/practices/${practiceID}/billing/services`, { body: input });
    },

    updateService(practiceID: number, serviceID: number, input: ServiceInput): Promise<Service> {
      return request('PUT', `/practices/${practiceID}/billing/services/${serviceID}`, { body: input });
    },

    coupleBilling(coupleID: number): Promise<CoupleBilling> {
      return request('GET', `/couples/${coupleID}/billing`);
    },

    /** Who pays from now on: one partner at 100, both summing to 100, or none for the couple as a whole. */
    setBillingShares(coupleID: number, shares: Share[]): Promise<Share[]> {
      return request<{ shares: Share[] }>('PUT', `/couples/${coupleID}/billing/shares`, {
        body: { shares: shares.map(({ partner_id, percent }) => ({ partner_id, percent })) },
      }).then((r) => r.shares);
    },

    recordEntry(coupleID: number, input: EntryInput): Promise<LedgerEntry> {
      return request('POST', `/couples/${coupleID}/billing/entries`, { body: input });
    },

    /** Charges an appointment; charging it again answers the first charge. */
    chargeAppointment(appointmentID: number, kind: ChargeKind): Promise<LedgerEntry[]> {
      return request<{ entries: LedgerEntry[] }>('POST', `/appointments/${appointmentID}/charges`, { body: { kind } }).then(
        (r) => r.entries,
      );
    },

    /** Voids an appointment's charge with reversing entries. */
    voidCharge(appointmentID: number, kind: ChargeKind): Promise<LedgerEntry[]> {
      return request<{ entries: LedgerEntry[] }>('POST', `/appointments/${appointmentID}/charges/${kind}/void`).then(
        (r) => r.entries,
      );
    },

    /** One partner's statement: their own, or, for staff, any client's of the practice. */
    clientStatement(practiceID: number, userID: number, range: DateRange): Promise<Statement> {
      return request('GET', `/practices/${practiceID}/members/${userID}/statement${queryString(range)}`);
    },

    mailPreferences(): Promise<MailPreferences> {
      return request('GET', '/me/mail-preferences');
    },

    setMailPreferences(preferences: MailPreferences): Promise<MailPreferences> {
      return request('PUT', '/me/mail-preferences', { body: preferences });
    },

    mailSettings(practiceID: number): Promise<MailSettings> {
      return request('GET', `/practices/${practiceID}/mail-settings`);
    },

    setMailSettings(practiceID: number, settings: MailSettings): Promise<MailSettings> {
      return request('PUT', `/practices/${practiceID}/mail-settings`, { body: settings });
    },

    /** The development mailbox; "not_found" unless this is the demo practice and no mail server is set. */
    mailbox(practiceID: number): Promise<SentMail[]> {
      return request<{ messages: SentMail[] }>('GET', `/practices/${practiceID}/mailbox`).then((r) => r.messages);
    },

    /** Turns off the kind of mail an unsubscribe link names; needs no sign-in. */
    unsubscribe(token: string): Promise<{ topic: string }> {
      return request('POST', '/mail/unsubscribe', { body: { token }, needsSession: false });
    },

    /** Mails a link to choose a new password to the account with this address, if one has it. */
    requestPasswordReset(email: string): Promise<{ message: string }> {
      return request('POST', '/auth/password-resets', { body: { email }, needsSession: false });
    },

    /** Sets a new password through a reset link; "not_found" when it is used, expired or replaced. */
    resetPassword(token: string, password: string): Promise<void> {
      return request('POST', `/auth/password-resets/${encodeURIComponent(token)}`, {
        body: { password },
        needsSession: false,
      });
    },

    /** Changes the caller's password; a wrong current one fails with "invalid_credentials". */
    changePassword(currentPassword: string, password: string): Promise<void> {
      return request('PUT', '/me/password', { body: { current_password: currentPassword, password } });
    },

    /** A new secret calendar link (shown once); the previous one stops working. */
    rotateCalendarFeed(practiceID: number, userID: number): Promise<CalendarFeed> {
      return request('POST', `/practices/${practiceID}/members/${userID}/calendar-feed`);
    },

    revokeCalendarFeed(practiceID: number, userID: number): Promise<void> {
      return request('DELETE', `/practices/${practiceID}/members/${userID}/calendar-feed`);
    },
  };
}

export type Api = ReturnType<typeof createApi>;
