import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { refusal } from './messages';

function refused(field?: string): ApiError {
  return new ApiError(422, 'invalid', 'Write the plan before signing.', undefined, field);
}

describe('refusal', () => {
  it.each([
    ['a path under the prefix', refused('sections.plan'), 'sections.', 'plan'],
    ['an item of a list', refused('concerns[1]'), '', 'concerns'],
    ['a field the form does not show', refused('sections.summary'), 'sections.', ''],
    ['a path under another prefix', refused('answers.plan'), 'sections.', ''],
    ['no field at all', refused(), 'sections.', ''],
  ])('points at the form field for %s', (_, caught, prefix, field) => {
    expect(refusal(caught, ['plan', 'concerns'], prefix)).toEqual({ text: 'Write the plan before signing.', field });
  });

  it('says something general for what is not a refusal of the server', () => {
    expect(refusal(new TypeError('offline'), ['plan'])).toEqual({ text: 'Something went wrong. Please try again.', field: '' });
  });
});
