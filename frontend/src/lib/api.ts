// The typed client for Amend's HTTP API (base /api/v1). Every call goes through `request`,
// which sends the session cookie, speaks JSON and turns the server's
// {"error":{"code","message"}} answers into an ApiError carrying the plain-words message.

import type { components, paths } from './api.gen';

/**
 * The schemas of docs/api.yaml, as generated into api.gen.ts (`npm run gen:api`). Every type the
 * app reads from or sends to the API is one of them, or the answer, body or query of an operation
 * (ResponseOf, BodyOf, QueryOf); the few written here by hand are the app's own shapes.
 */
type Schemas = components['schemas'];

/** The JSON a successful call of this method and path answers. */
export type ResponseOf<M extends Method, P extends PathOf<M>> = Answer<Operation<M, P>>;

/** The JSON body a call of this method and path sends. */
export type BodyOf<M extends Method, P extends PathOf<M>> =
  Operation<M, P> extends { requestBody?: { content: { 'application/json': infer Body } } } ? Body : never;

/** The query parameters a call of this method and path takes. */
export type QueryOf<M extends Method, P extends PathOf<M>> = NonNullable<
  Operation<M, P> extends { parameters: { query?: infer Query } } ? Query : never
>;

export type User = Schemas['User'];
export type Membership = Schemas['Membership'];
export type Role = Membership['role'];

/** Who is signed in and where: the answer of GET /me and of joining a practice by invite. */
export type Me = Schemas['Me'];

/** The answer of a sign-in (login or accepted invite). The cookie carries the session. */
export type SignedIn = Schemas['Session'];

/** A right password of an account with a second factor: no session yet, only the code step. */
export type SecondStep = Schemas['SecondStep'];

/**
 * The proof that finishes a sign-in: the app's code, or one unused recovery code. Stricter than the
 * description, whose body has both as optional fields: the app sends exactly one.
 */
type SecondFactorBody = BodyOf<'POST', '/auth/login/second-factor'>;
export type SecondFactorProof = Required<Pick<SecondFactorBody, 'code'>> | Required<Pick<SecondFactorBody, 'recovery_code'>>;

/** One's own second factor; the secret is never shown again after enrolment. */
export type SecondFactorStatus = Schemas['SecondFactorStatus'];

/** A new, unconfirmed factor, shown once. */
export type SecondFactorEnrolment = Schemas['SecondFactorEnrolment'];

export type SecuritySettings = Schemas['SecuritySettings'];

/**
 * What an invitation is for, shown before it is accepted. It never says whether the email has an
 * account already: whoever holds the link may not be its owner.
 */
export type InviteInfo = ResponseOf<'GET', '/invites/{token}'>;

export type StaffRole = BodyOf<'POST', '/practices/{pid}/invites'>['role'];
export type Visibility = Schemas['Visibility'];
export type Seat = Schemas['Assignment']['assignee_seat'];

export type Practice = Schemas['Practice'];

/** A person in the practice with their roles there. */
export type Member = Schemas['Member'];

export type Invite = Schemas['Invite'];

/** A new invitation with its one-time link, which the server shows only this once. */
export type InviteCreated = Schemas['InviteCreated'];

export type AuditEntry = Schemas['AuditEntry'];
export type AuditOutcome = AuditEntry['outcome'];
export type AuditFilter = QueryOf<'GET', '/practices/{pid}/audit'>;
export type AuditPage = ResponseOf<'GET', '/practices/{pid}/audit'>;

/** One line of the access table: a role, standing in a relation to an object, may do an action. */
export type PolicyRule = ResponseOf<'GET', '/practices/{pid}/policy'>['rules'][number];

/** A couple as lists show it. */
export type CoupleSummary = Schemas['CoupleSummary'];
/** A couple as it is answered alone: with the open and waiting-for-review assignments the caller may see. */
export type Couple = Schemas['Couple'];
export type CoupleStatus = CoupleSummary['status'];
export type Concern = Schemas['Concern'];
export type Partner = CoupleSummary['partners'][number];

/** A concern a couple's file may name, with how it reads: the server's one list (GET /concerns). */
export type ConcernOption = Schemas['ConcernOption'];

/** The body of POST /practices/{pid}/couples. */
export type CoupleInput = BodyOf<'POST', '/practices/{pid}/couples'>;

/** One prompt of an exercise and the shape of its answer. */
export type ExerciseField = Schemas['Field'];
export type FieldKind = ExerciseField['kind'];

/** A form question: an exercise field, optionally a safety-screening question (care team only). */
export type FormField = Schemas['FormField'];

/** A built-in form, sent by its key. */
export type BuiltinForm = Schemas['BuiltinForm'];
/** A practice's own form template, sent by its id. */
export type FormTemplate = Schemas['FormTemplate'];

export type Form = Schemas['Form'];
export type FormStatus = Form['status'];

/** A handed-in form whose safety-screening answers call for the therapist's attention. */
export type SafetyFlag = Schemas['SafetyFlag'];

/** A PDF or an image in a couple's record. */
export type CoupleDocument = Schemas['Document'];

/** What an author writes: the body of POST and PUT /practices/{pid}/exercises. */
export type ExerciseContent = Schemas['ExerciseInput'];
export type ExerciseWho = ExerciseContent['who'];

export type Exercise = Schemas['Exercise'];

/** A response's answers keyed by field key: text, a number, or a list of strings. */
export type Answers = Schemas['Answers'];

export type ExerciseResponse = Schemas['Response'];

/** An assignment, with its response when the caller may read it. */
export type Assignment = Schemas['AssignmentWithResponse'];
/** done_private: handed in while kept private, so done for the partner alone with nothing to review. */
export type AssignmentStatus = Assignment['status'];

export type AssignmentDetail = ResponseOf<'GET', '/assignments/{id}'>;

export type Comment = Schemas['Comment'];

export type Checkin = Schemas['Checkin'];

export type CheckinInput = Schemas['CheckinInput'];

export type CheckinList = ResponseOf<'GET', '/couples/{id}/checkins'>;

export type Commitment = Schemas['Commitment'];

export type CommitmentCheck = Schemas['CommitmentCheck'];

export type KeptTally = Schemas['KeptTally'];

/** A commitment with the other partner's confirmations. */
export type CommitmentDetail = Schemas['CommitmentDetail'];

export type CommitmentList = ResponseOf<'GET', '/couples/{id}/commitments'>;

export type Measure = Schemas['Measure'];

/** A published severity range of a questionnaire's total, from and to inclusive. */
export type Band = Schemas['Band'];

/** A labelled clinical line on a chart: a cut-off, or where a severity band begins. */
export type Threshold = Schemas['Threshold'];

export type Questionnaire = Schemas['Questionnaire'];
export type QuestionnaireKey = Questionnaire['key'];

/** One question of a questionnaire, answered with a whole number from min to max. */
export type QuestionnaireItem = Questionnaire['items'][number];

/** A questionnaire each partner is asked to answer every few weeks. */
export type MeasureSchedule = Schemas['MeasureSchedule'];

/** A scheduled questionnaire the caller has yet to answer in the period that began on due_on. */
export type DueMeasure = Schemas['DueMeasure'];

/** The partners' latest values as of a day, in seat order, and the gap between them. */
export type GapPoint = Schemas['GapPoint'];

/** How far apart the partners stand over time; the care team's only. */
export type Divergence = Schemas['Divergence'];

/** A plan's content as the server answers it, every field present; it is sent back as it is. */
export type PlanContent = Schemas['PlanContent'];
export type PlanGoal = PlanContent['goals'][number];
export type PlanObjective = PlanGoal['objectives'][number];

/** One version of a couple's treatment plan; a signed version never changes. */
export type TreatmentPlan = Schemas['TreatmentPlan'];

/** What a partner sends when answering a questionnaire: item key -> chosen value. */
export type MeasureInput = BodyOf<'POST', '/couples/{id}/measures'>;

export type NoteAddendum = Schemas['NoteAddendum'];

/** A note's text by section key. */
export type NoteSections = Schemas['NoteSections'];

export type Note = Schemas['Note'];

export type NoteTemplate = ResponseOf<'GET', '/note-templates'>['templates'][number];

export type AppointmentKind = Schemas['AppointmentKind'];
export type Attendance = NonNullable<Schemas['Appointment']['attendance']>;

export type Appointment = Schemas['Appointment'];

export type Room = Schemas['Room'];

/** Every therapist's appointments of a week, with who and what can be booked. */
export type PracticeCalendar = ResponseOf<'GET', '/practices/{pid}/calendar'>;

export type TimeOff = Schemas['TimeOff'];
export type TimeOffInput = Schemas['TimeOffInput'];

export type WeeklyHours = Schemas['WeeklyHours'];

export type Slot = Schemas['Slot'];

export type SchedulingSettings = Schemas['SchedulingSettings'];

export type AppointmentRequest = Schemas['AppointmentRequest'];

/** Which optional mail a person wants; security mail is always sent. */
export type MailPreferences = Schemas['MailPreferences'];

export type BillingProfile = Schemas['BillingProfile'];

export type Service = Schemas['Service'];

export type ServiceInput = Schemas['ServiceInput'];

export type BillingSettings = Schemas['BillingSettings'];

/** One line of the append-only ledger; amount_cents is its effect on what the payer owes. */
export type LedgerEntry = Schemas['LedgerEntry'];
export type EntryKind = LedgerEntry['kind'];
export type ChargeKind = NonNullable<LedgerEntry['charge_kind']>;
export type PaymentMethod = NonNullable<LedgerEntry['method']>;

export type Share = Schemas['Share'];

/** One payer's share as sent: who and what percent. */
export type ShareInput = BodyOf<'PUT', '/couples/{id}/billing/shares'>['shares'][number];

export type Balance = Schemas['Balance'];

export type CoupleBilling = ResponseOf<'GET', '/couples/{id}/billing'>;

/** A payment, refund, write-off or adjustment recorded by hand. */
export type EntryInput = BodyOf<'POST', '/couples/{id}/billing/entries'>;

export type Statement = Schemas['Statement'];

export type DateRange = QueryOf<'GET', '/practices/{pid}/members/{uid}/statement'>;

export type MailSettings = Schemas['MailSettings'];

/** A message kept in the development mailbox (no mail server configured). */
export type SentMail = Schemas['SentMail'];

/** A new time for an appointment, for it alone or (scope following) with the rest of its series. */
export type MoveInput = BodyOf<'POST', '/appointments/{id}/move'>;

export type AppointmentInput = BodyOf<'POST', '/couples/{id}/appointments'>;

export type SeriesInput = BodyOf<'POST', '/couples/{id}/appointment-series'>;

export type RateSeries = Schemas['RateSeries'];
export type WeekRate = RateSeries['weeks'][number];

/** A couple's series over time, per partner, limited to what the reader may see. */
export type Progress = Schemas['Progress'];
export type PartnerProgress = Progress['partners'][number];

/** A live session with its current state: the answer of GET /live/{id}, and an item of a couple's list. */
export type LiveSession = Schemas['LiveSession'];

/** The floor of a live session as of seq (docs/protocol.md); absent fields are unset. */
export type LiveState = Schemas['LiveState'];
export type LiveMode = LiveState['mode'];

/** One numbered event of a live session, as the WebSocket and the transcript carry it. */
export type LiveEvent = Schemas['LiveEvent'];
export type LiveRole = LiveEvent['actor']['role'];

/** What the chair chooses when opening a live session; the server's defaults fill the rest. */
export type LiveSessionInput = Schemas['LiveSessionInput'];

/**
 * Talk time (seconds), utterances, refused out-of-turn says and (from servers with voice) spoken
 * interruptions per seat, for the care team.
 */
export type LiveSummary = ResponseOf<'GET', '/live/{id}/summary'>;

export type CalendarFeed = ResponseOf<'POST', '/practices/{pid}/members/{uid}/calendar-feed'>;

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

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The paths of docs/api.yaml that take this method. */
type PathOf<M extends Method> = {
  [P in keyof paths]: paths[P] extends Record<Lowercase<M>, object> ? P : never;
}[keyof paths];

/** The operation docs/api.yaml describes at this method and path. */
type Operation<M extends Method, P extends keyof paths> = paths[P][Lowercase<M>];

/** The JSON of a response, or void for one without a body (204). */
type JsonOf<R> = R extends { content: { 'application/json': infer Body } } ? Body : R extends { content?: never } ? void : never;

/** What a successful call answers: the JSON of its 200, 201 or 202 response, or void for 204. */
type Answer<O> = O extends { responses: infer R } ? JsonOf<R[keyof R & (200 | 201 | 202 | 204)]> : never;

type PathParams<O> = [O] extends [{ parameters: { path: infer Params } }] ? { path: Params } : { path?: never };

type QueryParams<O> = [O] extends [{ parameters: { query?: infer Query } }]
  ? [Query] extends [never]
    ? { query?: never }
    : { query?: Query }
  : { query?: never };

type RequestBody<O> = [O] extends [{ requestBody: { content: { 'application/json': infer Body } } }]
  ? { body: Body }
  : [O] extends [{ requestBody?: { content: { 'application/json': infer Body } } }]
    ? { body?: Body }
    : [O] extends [{ requestBody: { content: { 'application/octet-stream': unknown } } }]
      ? /** Bytes sent as they are (a file), instead of a JSON body. */ { file: Blob }
      : { body?: never };

/** The options of a call: its path and query parameters and body, as docs/api.yaml gives them. */
type RequestOptions<O> = PathParams<O> &
  QueryParams<O> &
  RequestBody<O> & {
    /** False for the calls that sign in: their 401 means wrong details, not an ended session. */
    needsSession?: boolean;
  };

/** The options argument, which may be left out when nothing in it is required. */
type RequestArgs<O> = object extends RequestOptions<O> ? [opts?: RequestOptions<O>] : [opts: RequestOptions<O>];

/** The untyped view of RequestOptions that the request function works with. */
interface SentOptions {
  path?: Record<string, string | number>;
  query?: object;
  body?: unknown;
  file?: Blob;
  needsSession?: boolean;
}

/** Fills a path's {name} parameters, each encoded as one path segment. */
function fillPath(path: string, params: Record<string, string | number> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(params[name])));
}

export function createApi(options: ApiOptions = {}) {
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  /**
   * Calls the operation docs/api.yaml describes at method and path: a path, parameter or body the
   * description does not have fails to compile, and the answer has the type of its success response.
   */
  async function request<M extends Method, P extends PathOf<M>>(
    method: M,
    path: P,
    ...args: NoInfer<RequestArgs<Operation<M, P>>>
  ): Promise<Answer<Operation<M, P>>> {
    const opts = ((args as unknown[])[0] ?? {}) as SentOptions;
    const headers: Record<string, string> = { Accept: 'application/json' };
    const init: RequestInit = { method, headers, credentials: 'same-origin' };
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    } else if (opts.file !== undefined) {
      headers['Content-Type'] = 'application/octet-stream';
      init.body = opts.file;
    }
    const url = API_BASE + fillPath(path, opts.path) + queryString(opts.query ?? {});

    let response: Response;
    try {
      response = await doFetch(url, init);
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
    if (response.status === 204) return undefined as Answer<Operation<M, P>>;
    return (await response.json()) as Answer<Operation<M, P>>;
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
    confirmSecondFactor(code: string): Promise<ResponseOf<'POST', '/me/second-factor/confirm'>> {
      return request('POST', '/me/second-factor/confirm', { body: { code } });
    },

    disableSecondFactor(proof: { code: string } | { password: string }): Promise<void> {
      return request('POST', '/me/second-factor/disable', { body: proof });
    },

    securitySettings(practiceID: number): Promise<SecuritySettings> {
      return request('GET', '/practices/{pid}/security-settings', { path: { pid: practiceID } });
    },

    setSecuritySettings(practiceID: number, settings: SecuritySettings): Promise<SecuritySettings> {
      return request('PUT', '/practices/{pid}/security-settings', { path: { pid: practiceID }, body: settings });
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
      return request('GET', '/invites/{token}', { path: { token }, needsSession: false });
    },

    /**
     * Accepts an invitation by creating its account, and signs the new user in. Fails with code
     * "conflict" when the email has an account already: that account signs in, then joins.
     */
    acceptInvite(token: string, name: string, password: string): Promise<SignedIn> {
      return request('POST', '/invites/{token}/accept', {
        path: { token },
        body: { name, password },
        needsSession: false,
      }) as Promise<SignedIn>;
    },

    /**
     * Accepts an invitation as the signed-in account, which must be the one it was sent to (else
     * code "forbidden"); the session stays, limited to setting up a second factor if the practice requires one.
     */
    joinByInvite(token: string): Promise<Me> {
      return request('POST', '/invites/{token}/accept', { path: { token } }) as Promise<Me>;
    },

    practice(practiceID: number): Promise<Practice> {
      return request('GET', '/practices/{pid}', { path: { pid: practiceID } });
    },

    /** The practice's members, or only those holding `role`. */
    members(practiceID: number, role?: Role): Promise<Member[]> {
      return request('GET', '/practices/{pid}/members', { path: { pid: practiceID }, query: { role } }).then(
        (r) => r.members,
      );
    },

    /** Changes a member's staff roles, or disables (or re-enables) their account. */
    updateMember(practiceID: number, userID: number, change: { roles?: StaffRole[]; disabled?: boolean }): Promise<Member> {
      return request('PATCH', '/practices/{pid}/members/{uid}', { path: { pid: practiceID, uid: userID }, body: change });
    },

    invites(practiceID: number, open = true): Promise<Invite[]> {
      return request('GET', '/practices/{pid}/invites', { path: { pid: practiceID }, query: { open } }).then(
        (r) => r.invites,
      );
    },

    createInvite(practiceID: number, email: string, role: StaffRole): Promise<InviteCreated> {
      return request('POST', '/practices/{pid}/invites', { path: { pid: practiceID }, body: { email, role } });
    },

    revokeInvite(practiceID: number, inviteID: number): Promise<void> {
      return request('DELETE', '/practices/{pid}/invites/{id}', { path: { pid: practiceID, id: inviteID } });
    },

    audit(practiceID: number, filter: AuditFilter = {}): Promise<AuditPage> {
      return request('GET', '/practices/{pid}/audit', { path: { pid: practiceID }, query: filter });
    },

    policy(practiceID: number): Promise<PolicyRule[]> {
      return request('GET', '/practices/{pid}/policy', { path: { pid: practiceID } }).then((r) => r.rules);
    },

    couples(practiceID: number, filter: QueryOf<'GET', '/practices/{pid}/couples'> = {}): Promise<CoupleSummary[]> {
      return request('GET', '/practices/{pid}/couples', { path: { pid: practiceID }, query: filter }).then(
        (r) => r.couples,
      );
    },

    couple(coupleID: number): Promise<Couple> {
      return request('GET', '/couples/{id}', { path: { id: coupleID } });
    },

    /** Opens a couple's file. A therapist who leaves out `therapists` is its care team. */
    createCouple(practiceID: number, input: CoupleInput): Promise<Couple> {
      return request('POST', '/practices/{pid}/couples', { path: { pid: practiceID }, body: input });
    },

    /** The concerns a couple's file may name, in the order they are offered. */
    concerns(): Promise<ConcernOption[]> {
      return request('GET', '/concerns').then((r) => r.concerns);
    },

    /** Changes a couple's label, concerns or status; closing makes the file read-only. */
    updateCouple(coupleID: number, change: Partial<Pick<CoupleInput, 'label' | 'concerns' | 'status'>>): Promise<Couple> {
      return request('PATCH', '/couples/{id}', { path: { id: coupleID }, body: change });
    },

    /** Replaces the care team with these therapists of the practice. */
    setCareTeam(coupleID: number, therapists: number[]): Promise<Couple> {
      return request('PUT', '/couples/{id}/care-team', { path: { id: coupleID }, body: { therapists } });
    },

    /** What the signed-in reader may open of the couple's record, as JSON, for a download. */
    exportCouple(coupleID: number): Promise<unknown> {
      return request('GET', '/couples/{id}/export', { path: { id: coupleID } });
    },

    /** The address of the printable page of that same export (opened in the browser). */
    exportCoupleSummaryURL(coupleID: number): string {
      return `${API_BASE}/couples/${coupleID}/export.html`;
    },

    /** Erases a couple's record; the label must be typed again as confirmation. */
    eraseCouple(coupleID: number, confirmLabel: string): Promise<unknown> {
      return request('POST', '/couples/{id}/erase', { path: { id: coupleID }, body: { confirm: confirmLabel } });
    },

    exercises(practiceID: number): Promise<Exercise[]> {
      return request('GET', '/practices/{pid}/exercises', { path: { pid: practiceID } }).then((r) => r.exercises);
    },

    exercise(practiceID: number, exerciseID: number): Promise<Exercise> {
      return request('GET', '/practices/{pid}/exercises/{id}', { path: { pid: practiceID, id: exerciseID } });
    },

    createExercise(practiceID: number, content: ExerciseContent): Promise<Exercise> {
      return request('POST', '/practices/{pid}/exercises', { path: { pid: practiceID }, body: content });
    },

    /** Saves content as the exercise's next version; assignments already given keep theirs. */
    reviseExercise(practiceID: number, exerciseID: number, content: ExerciseContent): Promise<Exercise> {
      return request('PUT', '/practices/{pid}/exercises/{id}', { path: { pid: practiceID, id: exerciseID }, body: content });
    },

    assignments(coupleID: number): Promise<Assignment[]> {
      return request('GET', '/couples/{id}/assignments', { path: { id: coupleID } }).then(
        (r) => r.assignments,
      );
    },

    assign(
      coupleID: number,
      input: BodyOf<'POST', '/couples/{id}/assignments'>,
    ): Promise<Assignment[]> {
      return request('POST', '/couples/{id}/assignments', { path: { id: coupleID }, body: input }).then(
        (r) => r.assignments,
      );
    },

    assignment(assignmentID: number): Promise<AssignmentDetail> {
      return request('GET', '/assignments/{id}', { path: { id: assignmentID } });
    },

    saveDraft(assignmentID: number, answers: Answers): Promise<ExerciseResponse> {
      return request('PUT', '/assignments/{id}/draft', { path: { id: assignmentID }, body: { answers } });
    },

    submitResponse(assignmentID: number, answers: Answers): Promise<ExerciseResponse> {
      return request('POST', '/assignments/{id}/submit', { path: { id: assignmentID }, body: { answers } });
    },

    shareResponse(assignmentID: number, visibility: Visibility): Promise<ExerciseResponse> {
      return request('PUT', '/assignments/{id}/visibility', { path: { id: assignmentID }, body: { visibility } });
    },

    reviewResponse(assignmentID: number, feedback: string): Promise<Assignment> {
      return request('POST', '/assignments/{id}/review', { path: { id: assignmentID }, body: { feedback } });
    },

    reopenAssignment(assignmentID: number): Promise<Assignment> {
      return request('POST', '/assignments/{id}/reopen', { path: { id: assignmentID } });
    },

    comments(assignmentID: number): Promise<Comment[]> {
      return request('GET', '/assignments/{id}/comments', { path: { id: assignmentID } }).then((r) => r.comments);
    },

    addComment(assignmentID: number, body: string, parentID?: number): Promise<Comment> {
      return request('POST', '/assignments/{id}/comments', { path: { id: assignmentID }, body: { body, parent_id: parentID } });
    },

    formTemplates(practiceID: number): Promise<ResponseOf<'GET', '/practices/{pid}/form-templates'>> {
      return request('GET', '/practices/{pid}/form-templates', { path: { pid: practiceID } });
    },

    /** Sends a built-in form (by key) or a practice template (by id) to one or both partners. */
    sendForm(coupleID: number, input: BodyOf<'POST', '/couples/{id}/forms'>): Promise<Form[]> {
      return request('POST', '/couples/{id}/forms', { path: { id: coupleID }, body: input }).then((r) => r.forms);
    },

    forms(coupleID: number): Promise<Form[]> {
      return request('GET', '/couples/{id}/forms', { path: { id: coupleID } }).then((r) => r.forms);
    },

    form(formID: number): Promise<Form> {
      return request('GET', '/forms/{id}', { path: { id: formID } });
    },

    saveFormDraft(formID: number, answers: Answers): Promise<Form> {
      return request('PUT', '/forms/{id}/draft', { path: { id: formID }, body: { answers } });
    },

    submitForm(formID: number, answers: Answers): Promise<Form> {
      return request('POST', '/forms/{id}/submit', { path: { id: formID }, body: { answers } });
    },

    /** Signs a consent with the typed name; the form never changes afterwards. */
    signForm(formID: number, answers: Answers, name: string): Promise<Form> {
      return request('POST', '/forms/{id}/sign', { path: { id: formID }, body: { answers, name, confirm: true } });
    },

    shareForm(formID: number, visibility: 'therapist' | 'partner'): Promise<Form> {
      return request('PUT', '/forms/{id}/visibility', { path: { id: formID }, body: { visibility } });
    },

    /** The care team's safety notices for the couple page. */
    safetyFlags(coupleID: number): Promise<SafetyFlag[]> {
      return request('GET', '/couples/{id}/safety-flags', { path: { id: coupleID } }).then((r) => r.safety_flags);
    },

    documents(coupleID: number): Promise<CoupleDocument[]> {
      return request('GET', '/couples/{id}/documents', { path: { id: coupleID } }).then((r) => r.documents);
    },

    /** Adds a file to the couple's record; the server reads its type from its bytes. */
    uploadDocument(coupleID: number, file: File, visibility: Visibility): Promise<CoupleDocument> {
      return request('POST', '/couples/{id}/documents', { path: { id: coupleID }, query: { name: file.name, visibility }, file });
    },

    /** Changes who reads a document; its uploader only. */
    setDocumentVisibility(documentID: number, visibility: Visibility): Promise<CoupleDocument> {
      return request('PUT', '/documents/{id}/visibility', { path: { id: documentID }, body: { visibility } });
    },

    /** Deletes a document and its file; its uploader or the care team. */
    deleteDocument(documentID: number): Promise<void> {
      return request('DELETE', '/documents/{id}', { path: { id: documentID } });
    },

    feelingWords(): Promise<string[]> {
      return request('GET', '/feeling-words').then((r) => r.feeling_words);
    },

    checkins(coupleID: number, range: QueryOf<'GET', '/couples/{id}/checkins'> = {}): Promise<CheckinList> {
      return request('GET', '/couples/{id}/checkins', { path: { id: coupleID }, query: range });
    },

    /** Records today's check-in; a second one on the same day replaces the first. */
    saveCheckin(coupleID: number, input: CheckinInput): Promise<Checkin> {
      return request('POST', '/couples/{id}/checkins', { path: { id: coupleID }, body: input });
    },

    updateCheckin(checkinID: number, change: Partial<CheckinInput>): Promise<Checkin> {
      return request('PATCH', '/checkins/{id}', { path: { id: checkinID }, body: change });
    },

    commitments(coupleID: number): Promise<CommitmentList> {
      return request('GET', '/couples/{id}/commitments', { path: { id: coupleID } });
    },

    createCommitment(coupleID: number, text: string, cadence: 'daily' | 'weekly'): Promise<Commitment> {
      return request('POST', '/couples/{id}/commitments', { path: { id: coupleID }, body: { text, cadence } });
    },

    /** The other partner confirms whether the current period of a commitment was kept. */
    confirmCommitment(commitmentID: number, status: 'kept' | 'missed', note: string): Promise<CommitmentCheck> {
      return request('POST', '/commitments/{id}/checks', { path: { id: commitmentID }, body: { status, note } });
    },

    commitment(commitmentID: number): Promise<CommitmentDetail> {
      return request('GET', '/commitments/{id}', { path: { id: commitmentID } });
    },

    questionnaires(): Promise<Questionnaire[]> {
      return request('GET', '/questionnaires').then((r) => r.questionnaires);
    },

    /** Answers a questionnaire; the server scores it. */
    createMeasure(coupleID: number, input: MeasureInput): Promise<Measure> {
      return request('POST', '/couples/{id}/measures', { path: { id: coupleID }, body: input });
    },

    measures(coupleID: number): Promise<Measure[]> {
      return request('GET', '/couples/{id}/measures', { path: { id: coupleID } }).then((r) => r.measures);
    },

    progress(coupleID: number): Promise<Progress> {
      return request('GET', '/couples/{id}/progress', { path: { id: coupleID } });
    },

    /** The gap between the partners over time; the care team's only (others are answered 404). */
    divergence(coupleID: number): Promise<Divergence> {
      return request('GET', '/couples/{id}/divergence', { path: { id: coupleID } });
    },

    measureSchedules(coupleID: number): Promise<MeasureSchedule[]> {
      return request('GET', '/couples/{id}/measure-schedules', { path: { id: coupleID } }).then(
        (r) => r.measure_schedules,
      );
    },

    /** Asks each partner to answer a questionnaire every N weeks, from starts_on (today when left out). */
    setMeasureSchedule(coupleID: number, key: QuestionnaireKey, everyWeeks: number, startsOn?: string): Promise<MeasureSchedule> {
      return request('PUT', '/couples/{id}/measure-schedules/{key}', {
        path: { id: coupleID, key },
        body: startsOn ? { every_weeks: everyWeeks, starts_on: startsOn } : { every_weeks: everyWeeks },
      });
    },

    deleteMeasureSchedule(coupleID: number, key: QuestionnaireKey): Promise<void> {
      return request('DELETE', '/couples/{id}/measure-schedules/{key}', { path: { id: coupleID, key } });
    },

    /** The scheduled questionnaires the signed-in partner has yet to answer. */
    measuresDue(coupleID: number): Promise<DueMeasure[]> {
      return request('GET', '/couples/{id}/measures-due', { path: { id: coupleID } }).then((r) => r.due);
    },

    /** The versions of the couple's plan the caller may read, newest first. */
    treatmentPlans(coupleID: number): Promise<TreatmentPlan[]> {
      return request('GET', '/couples/{id}/treatment-plans', { path: { id: coupleID } }).then(
        (r) => r.treatment_plans,
      );
    },

    /** Starts the next version of the couple's plan as a draft. */
    createTreatmentPlan(coupleID: number, content: PlanContent): Promise<TreatmentPlan> {
      return request('POST', '/couples/{id}/treatment-plans', { path: { id: coupleID }, body: { content } });
    },

    updateTreatmentPlan(planID: number, content: PlanContent): Promise<TreatmentPlan> {
      return request('PUT', '/treatment-plans/{id}', { path: { id: planID }, body: { content } });
    },

    /** Signs and locks a draft: it becomes the version the couple reads. */
    signTreatmentPlan(planID: number): Promise<TreatmentPlan> {
      return request('POST', '/treatment-plans/{id}/sign', { path: { id: planID } });
    },

    acknowledgeTreatmentPlan(planID: number): Promise<TreatmentPlan> {
      return request('POST', '/treatment-plans/{id}/acknowledge', { path: { id: planID } });
    },

    /** Invites a partner to a seat of the couple; the one-time link is in the answer. */
    invitePartner(coupleID: number, seat: Seat, email: string): Promise<InviteCreated> {
      return request('POST', '/couples/{id}/invites', { path: { id: coupleID }, body: { seat, email } });
    },

    liveSessions(coupleID: number): Promise<LiveSession[]> {
      return request('GET', '/couples/{id}/live-sessions', { path: { id: coupleID } }).then(
        (r) => r.sessions,
      );
    },

    /** Opens a live session for the couple; settings left out take the server's defaults. */
    startLiveSession(coupleID: number, input: LiveSessionInput = {}): Promise<LiveSession> {
      return request('POST', '/couples/{id}/live-sessions', { path: { id: coupleID }, body: input });
    },

    liveSession(sessionID: number): Promise<LiveSession> {
      return request('GET', '/live/{id}', { path: { id: sessionID } });
    },

    /** Talk time and blocked interruptions per partner (the care team only). */
    liveSummary(sessionID: number): Promise<LiveSummary> {
      return request('GET', '/live/{id}/summary', { path: { id: sessionID } });
    },

    noteTemplates(): Promise<NoteTemplate[]> {
      return request('GET', '/note-templates').then((r) => r.templates);
    },

    notes(coupleID: number): Promise<Note[]> {
      return request('GET', '/couples/{id}/notes', { path: { id: coupleID } }).then((r) => r.notes);
    },

    /** A draft note; appointmentID names the session it records. */
    createNote(coupleID: number, template: NoteTemplate['key'], sections: NoteSections, appointmentID?: number): Promise<Note> {
      return request('POST', '/couples/{id}/notes', {
        path: { id: coupleID },
        body: { template, sections, appointment_id: appointmentID },
      });
    },

    updateNote(noteID: number, sections: NoteSections): Promise<Note> {
      return request('PATCH', '/notes/{id}', { path: { id: noteID }, body: { sections } });
    },

    /** One note with its addenda. */
    note(noteID: number): Promise<Note> {
      return request('GET', '/notes/{id}', { path: { id: noteID } });
    },

    /** Adds to a signed note, which itself stays as it was signed. */
    addAddendum(noteID: number, text: string): Promise<NoteAddendum> {
      return request('POST', '/notes/{id}/addenda', { path: { id: noteID }, body: { text } });
    },

    signNote(noteID: number): Promise<Note> {
      return request('POST', '/notes/{id}/sign', { path: { id: noteID } });
    },

    coupleAppointments(coupleID: number): Promise<Appointment[]> {
      return request('GET', '/couples/{id}/appointments', { path: { id: coupleID } }).then(
        (r) => r.appointments,
      );
    },

    /** A therapist's own schedule between from and to (RFC 3339). */
    therapistAppointments(practiceID: number, userID: number, range: DateRange): Promise<Appointment[]> {
      return request('GET', '/practices/{pid}/members/{uid}/appointments', {
        path: { pid: practiceID, uid: userID },
        query: range,
      }).then((r) => r.appointments);
    },

    createAppointment(coupleID: number, input: AppointmentInput): Promise<Appointment> {
      return request('POST', '/couples/{id}/appointments', { path: { id: coupleID }, body: input });
    },

    cancelAppointment(appointmentID: number): Promise<Appointment> {
      return request('POST', '/appointments/{id}/cancel', { path: { id: appointmentID } });
    },

    /** A new time for an appointment; its reminders move with it. */
    moveAppointment(appointmentID: number, input: Omit<MoveInput, 'scope'>): Promise<Appointment> {
      return request('POST', '/appointments/{id}/move', { path: { id: appointmentID }, body: input }) as Promise<Appointment>;
    },

    /** Moves an occurrence of a series and every later one with it; answers the whole series. */
    moveFollowing(appointmentID: number, startsAt: string): Promise<Appointment[]> {
      const moved = request('POST', '/appointments/{id}/move', {
        path: { id: appointmentID },
        body: { starts_at: startsAt, scope: 'following' },
      }) as Promise<Exclude<ResponseOf<'POST', '/appointments/{id}/move'>, Appointment>>;
      return moved.then((r) => r.appointments);
    },

    /** Books a weekly or every-other-week series; answers its occurrences. */
    createSeries(coupleID: number, input: SeriesInput): Promise<Appointment[]> {
      return request('POST', '/couples/{id}/appointment-series', { path: { id: coupleID }, body: input,
      }).then((r) => r.appointments);
    },

    recordAttendance(appointmentID: number, attendance: Attendance): Promise<Appointment> {
      return request('POST', '/appointments/{id}/attendance', { path: { id: appointmentID }, body: { attendance } });
    },

    /** Opens a video appointment's live room, creating its live session the first time. */
    openVideoRoom(appointmentID: number): Promise<ResponseOf<'POST', '/appointments/{id}/live'>> {
      return request('POST', '/appointments/{id}/live', { path: { id: appointmentID } });
    },

    practiceCalendar(practiceID: number, range: QueryOf<'GET', '/practices/{pid}/calendar'>): Promise<PracticeCalendar> {
      return request('GET', '/practices/{pid}/calendar', { path: { pid: practiceID }, query: range });
    },

    createRoom(practiceID: number, name: string): Promise<Room> {
      return request('POST', '/practices/{pid}/rooms', { path: { pid: practiceID }, body: { name } });
    },

    schedulingSettings(practiceID: number): Promise<SchedulingSettings> {
      return request('GET', '/practices/{pid}/scheduling-settings', { path: { pid: practiceID } });
    },

    setSchedulingSettings(practiceID: number, hours: number): Promise<SchedulingSettings> {
      return request('PUT', '/practices/{pid}/scheduling-settings', {
        path: { pid: practiceID },
        body: { cancellation_window_hours: hours },
      });
    },

    timeOff(practiceID: number, userID: number, range: { from: string; to: string }): Promise<{ time_off: TimeOff[] }> {
      return request('GET', '/practices/{pid}/members/{uid}/time-off', { path: { pid: practiceID, uid: userID }, query: range });
    },

    addTimeOff(practiceID: number, userID: number, body: TimeOffInput): Promise<TimeOff> {
      return request('POST', '/practices/{pid}/members/{uid}/time-off', { path: { pid: practiceID, uid: userID }, body });
    },

    deleteTimeOff(practiceID: number, userID: number, id: number): Promise<void> {
      return request('DELETE', '/practices/{pid}/members/{uid}/time-off/{tid}', { path: { pid: practiceID, uid: userID, tid: id } });
    },

    workingHours(practiceID: number, userID: number): Promise<WeeklyHours> {
      return request('GET', '/practices/{pid}/members/{uid}/working-hours', { path: { pid: practiceID, uid: userID } });
    },

    setWorkingHours(practiceID: number, userID: number, week: WeeklyHours): Promise<WeeklyHours> {
      return request('PUT', '/practices/{pid}/members/{uid}/working-hours', { path: { pid: practiceID, uid: userID }, body: week });
    },

    openSlots(coupleID: number, therapistID: number, range: DateRange = {}): Promise<Slot[]> {
      return request('GET', '/couples/{id}/open-slots', { path: { id: coupleID }, query: { therapist_id: therapistID, ...range } },
      ).then((r) => r.slots);
    },

    appointmentRequests(coupleID: number): Promise<AppointmentRequest[]> {
      return request('GET', '/couples/{id}/appointment-requests', { path: { id: coupleID } }).then(
        (r) => r.requests,
      );
    },

    requestAppointment(
      coupleID: number,
      input: BodyOf<'POST', '/couples/{id}/appointment-requests'>,
    ): Promise<AppointmentRequest> {
      return request('POST', '/couples/{id}/appointment-requests', { path: { id: coupleID }, body: input });
    },

    decideAppointmentRequest(requestID: number, decision: 'accept' | 'decline'): Promise<AppointmentRequest> {
      const path = { id: requestID };
      return decision === 'accept'
        ? request('POST', '/appointment-requests/{id}/accept', { path })
        : request('POST', '/appointment-requests/{id}/decline', { path });
    },

    billingSettings(practiceID: number): Promise<BillingSettings> {
      return request('GET', '/practices/{pid}/billing', { path: { pid: practiceID } });
    },

    setBillingProfile(practiceID: number, profile: BillingProfile): Promise<BillingSettings> {
      return request('PUT', '/practices/{pid}/billing', { path: { pid: practiceID }, body: profile });
    },

    createService(practiceID: number, input: ServiceInput): Promise<Service> {
      return request('POST', '/practices/{pid}/billing/services', { path: { pid: practiceID }, body: input });
    },

    updateService(practiceID: number, serviceID: number, input: ServiceInput): Promise<Service> {
      return request('PUT', '/practices/{pid}/billing/services/{sid}', { path: { pid: practiceID, sid: serviceID }, body: input });
    },

    coupleBilling(coupleID: number): Promise<CoupleBilling> {
      return request('GET', '/couples/{id}/billing', { path: { id: coupleID } });
    },

    /** Who pays from now on: one partner at 100, both summing to 100, or none for the couple as a whole. */
    setBillingShares(coupleID: number, shares: ShareInput[]): Promise<Share[]> {
      return request('PUT', '/couples/{id}/billing/shares', {
        path: { id: coupleID },
        body: { shares: shares.map(({ partner_id, percent }) => ({ partner_id, percent })) },
      }).then((r) => r.shares);
    },

    recordEntry(coupleID: number, input: EntryInput): Promise<LedgerEntry> {
      return request('POST', '/couples/{id}/billing/entries', { path: { id: coupleID }, body: input });
    },

    /** Charges an appointment; charging it again answers the first charge. */
    chargeAppointment(appointmentID: number, kind: ChargeKind): Promise<LedgerEntry[]> {
      return request('POST', '/appointments/{id}/charges', { path: { id: appointmentID }, body: { kind } }).then(
        (r) => r.entries,
      );
    },

    /** Voids an appointment's charge with reversing entries. */
    voidCharge(appointmentID: number, kind: ChargeKind): Promise<LedgerEntry[]> {
      return request('POST', '/appointments/{id}/charges/{kind}/void', { path: { id: appointmentID, kind } }).then(
        (r) => r.entries,
      );
    },

    /** One partner's statement: their own, or, for staff, any client's of the practice. */
    clientStatement(practiceID: number, userID: number, range: DateRange): Promise<Statement> {
      return request('GET', '/practices/{pid}/members/{uid}/statement', { path: { pid: practiceID, uid: userID }, query: range });
    },

    mailPreferences(): Promise<MailPreferences> {
      return request('GET', '/me/mail-preferences');
    },

    setMailPreferences(preferences: MailPreferences): Promise<MailPreferences> {
      return request('PUT', '/me/mail-preferences', { body: preferences });
    },

    mailSettings(practiceID: number): Promise<MailSettings> {
      return request('GET', '/practices/{pid}/mail-settings', { path: { pid: practiceID } });
    },

    setMailSettings(practiceID: number, settings: MailSettings): Promise<MailSettings> {
      return request('PUT', '/practices/{pid}/mail-settings', { path: { pid: practiceID }, body: settings });
    },

    /** The development mailbox; "not_found" unless this is the demo practice and no mail server is set. */
    mailbox(practiceID: number): Promise<SentMail[]> {
      return request('GET', '/practices/{pid}/mailbox', { path: { pid: practiceID } }).then((r) => r.messages);
    },

    /** Turns off the kind of mail an unsubscribe link names; needs no sign-in. */
    unsubscribe(token: string): Promise<ResponseOf<'POST', '/mail/unsubscribe'>> {
      return request('POST', '/mail/unsubscribe', { body: { token }, needsSession: false });
    },

    /** Mails a link to choose a new password to the account with this address, if one has it. */
    requestPasswordReset(email: string): Promise<ResponseOf<'POST', '/auth/password-resets'>> {
      return request('POST', '/auth/password-resets', { body: { email }, needsSession: false });
    },

    /** Sets a new password through a reset link; "not_found" when it is used, expired or replaced. */
    resetPassword(token: string, password: string): Promise<void> {
      return request('POST', '/auth/password-resets/{token}', { path: { token }, body: { password },
        needsSession: false,
      });
    },

    /** Changes the caller's password; a wrong current one fails with "invalid_credentials". */
    changePassword(currentPassword: string, password: string): Promise<void> {
      return request('PUT', '/me/password', { body: { current_password: currentPassword, password } });
    },

    /** A new secret calendar link (shown once); the previous one stops working. */
    rotateCalendarFeed(practiceID: number, userID: number): Promise<CalendarFeed> {
      return request('POST', '/practices/{pid}/members/{uid}/calendar-feed', { path: { pid: practiceID, uid: userID } });
    },

    revokeCalendarFeed(practiceID: number, userID: number): Promise<void> {
      return request('DELETE', '/practices/{pid}/members/{uid}/calendar-feed', { path: { pid: practiceID, uid: userID } });
    },
  };
}

export type Api = ReturnType<typeof createApi>;
