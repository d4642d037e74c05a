import { ApiError } from './api';

/** The error's message, with how long to wait when the server asked the user to slow down. */
export function retryMessage(error: ApiError): string {
  if (error.code !== 'rate_limited' || error.retryAfterSeconds === undefined) return error.message;
  return `${error.message} You can try again in ${waitInWords(error.retryAfterSeconds)}.`;
}

/** A wait in seconds said the way a person would: "1 minute", "45 seconds". */
export function waitInWords(seconds: number): string {
  if (seconds < 60) {
    const whole = Math.max(1, Math.ceil(seconds));
    return whole === 1 ? '1 second' : `${whole} seconds`;
  }
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** Words for anything a request threw: the server's plain message, or a general apology. */
export function explain(caught: unknown): string {
  return caught instanceof ApiError ? retryMessage(caught) : 'Something went wrong. Please try again.';
}

/** What a refusal says and the form field it is about ('' when it is about none of them). */
export interface Refusal {
  text: string;
  field: string;
}

/**
 * The one place that maps a server refusal to a form's field: the server names the field at fault
 * by its path ("sections.plan", "answers.apology", "concerns[0]"); prefix is the part of the path
 * the form leaves out, and fields are the keys the form shows. The text is the server's sentence,
 * which names the field in words, so it reads well beside the field as it is.
 */
export function refusal(caught: unknown, fields: readonly string[], prefix = ''): Refusal {
  const path = caught instanceof ApiError ? (caught.field ?? '') : '';
  const key = path.startsWith(prefix) ? path.slice(prefix.length).split(/[.[]/)[0] : '';
  return { text: explain(caught), field: fields.includes(key) ? key : '' };
}
