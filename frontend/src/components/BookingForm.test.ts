import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import BookingForm from './BookingForm.svelte';
import { fakeServer } from '../lib/fakeServer';

afterEach(() => vi.unstubAllGlobals());

const single = '/couples/7/appointments';
const series = '/couples/7/appointment-series';
const booked = { id: 1, starts_at: '2030-07-01T07:00:00Z' };

describe('booking form', () => {
  it.each([
    { name: 'a series starting from a session that took place says so', repeat: '1', past: true, path: series, recordPast: true },
    { name: 'a series still to come does not', repeat: '1', past: false, path: series, recordPast: undefined },
    { name: 'a single past session is recorded as one', repeat: 'once', past: true, path: single, recordPast: true },
  ])('$name', async ({ repeat, past, path, recordPast }) => {
    const fake = fakeServer({
      [`POST ${single}`]: [201, booked],
      [`POST ${series}`]: [201, { series: { id: 3 }, appointments: [booked, { ...booked, id: 2 }] }],
    });
    const user = userEvent.setup();
    const onbooked = vi.fn();
    render(BookingForm, { idPrefix: 'book', couples: [{ id: 7, label: 'Rivera & Chen', therapists: [] }], onbooked });

    await user.type(screen.getByLabelText('Day and time'), '2030-07-01T07:00');
    await user.selectOptions(screen.getByLabelText('Repeat'), repeat);
    if (past) await user.click(screen.getByRole('checkbox', { name: /past session/ }));
    await user.click(screen.getByRole('button', { name: /^(Book|Record the past session)$/ }));

    await vi.waitFor(() => expect(onbooked).toHaveBeenCalledOnce());
    expect(fake.sent.map((s) => `${s.method} ${s.path}`)).toEqual([`POST ${path}`]);
    expect((fake.bodies('POST', path)[0] as { record_past?: boolean }).record_past).toBe(recordPast);
  });
});
