import { describe, expect, it } from 'vitest';
import type { Form, FormStatus } from './api';
import { formStatusWords, formWaits } from './forms';

describe('formWaits', () => {
  it.each<[FormStatus, boolean]>([
    ['sent', true],
    ['in_progress', true],
    ['submitted', false],
    ['signed', false],
  ])('a %s form waits: %s', (status, waits) => {
    expect(formWaits({ status } as Form)).toBe(waits);
    expect(formStatusWords[status]).not.toBe('');
  });
});
