import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import WorkingHours from './WorkingHours.svelte';
import { fakeServer } from '../lib/fakeServer';

afterEach(() => vi.unstubAllGlobals());

describe('working hours', () => {
  it("shows the saved week and saves each filled day in the server's weekday numbers and zone", async () => {
    const path = '/practices/1/members/2/working-hours';
    const fake = fakeServer({
      [`GET ${path}`]: [200, { time_zone: 'Europe/Berlin', hours: [{ weekday: 1, starts: '09:00', ends: '12:00' }] }],
      [`PUT ${path}`]: (body) => [200, body],
    });
    const user = userEvent.setup();
    render(WorkingHours, { practiceID: 1, userID: 2 });

    expect(await screen.findByText('Times are in Europe/Berlin.')).toBeInTheDocument();
    expect(screen.getByRole('group', { name: 'Monday' }).querySelector('input')).toHaveValue('09:00');
    await user.type(screen.getByLabelText('From', { selector: '#hours-0-starts' }), '10:00');
    await user.type(screen.getByLabelText('To', { selector: '#hours-0-ends' }), '13:00');
    await user.click(screen.getByRole('button', { name: 'Save working hours' }));

    expect(await screen.findByText('Your working hours are saved (Europe/Berlin).')).toBeInTheDocument();
    expect(fake.bodies('PUT', path)).toEqual([
      {
        time_zone: 'Europe/Berlin',
        hours: [
          { weekday: 1, starts: '09:00', ends: '12:00' },
          { weekday: 0, starts: '10:00', ends: '13:00' },
        ],
      },
    ]);
  });
});
