import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import MeasureSchedules from './MeasureSchedules.svelte';
import { fakeServer } from '../lib/fakeServer';

const questionnaire = (key: string, name: string) => ({
  key, name, citation: '', instructions: '', items: [], max_score: 21, cutoff: 0, cutoff_meaning: '', bands: [], care_team_only: true,
});

afterEach(() => vi.unstubAllGlobals());

describe('questionnaire schedule', () => {
  it('schedules a questionnaire every few weeks and stops it', async () => {
    const schedule = { id: 1, couple_id: 3, measure_key: 'gad7', every_weeks: 2, starts_on: '2026-12-03', created_by: 2, created_at: '', updated_at: '' };
    const fake = fakeServer({
      'GET /questionnaires': [200, { questionnaires: [questionnaire('phq9', 'PHQ-9'), questionnaire('gad7', 'GAD-7')] }],
      'GET /couples/3/measure-schedules': [200, { measure_schedules: [] }],
      'PUT /couples/3/measure-schedules/gad7': [200, schedule],
      'DELETE /couples/3/measure-schedules/gad7': [204, null],
    });
    const user = userEvent.setup();
    render(MeasureSchedules, { coupleID: 3 });

    const gad7Weeks = (await screen.findAllByLabelText('Every how many weeks'))[1];
    expect(screen.getAllByText(/not scheduled/)).toHaveLength(2);
    await user.clear(gad7Weeks);
    await user.type(gad7Weeks, '2');
    await user.click(screen.getByRole('button', { name: 'Schedule the GAD-7' }));

    expect(await screen.findByRole('status')).toHaveTextContent(/The GAD-7 is asked every 2 weeks from/);
    expect(fake.bodies('PUT', '/couples/3/measure-schedules/gad7')).toEqual([{ every_weeks: 2 }]);
    await user.click(screen.getByRole('button', { name: 'Stop the GAD-7' }));
    expect(await screen.findByText('The GAD-7 is no longer asked for.')).toBeInTheDocument();
    expect(screen.getAllByText(/not scheduled/)).toHaveLength(2);
  });

  it('shows the schedule of a closed couple without the means to change it', async () => {
    fakeServer({
      'GET /questionnaires': [200, { questionnaires: [questionnaire('phq9', 'PHQ-9')] }],
      'GET /couples/3/measure-schedules': [
        200,
        { measure_schedules: [{ id: 1, couple_id: 3, measure_key: 'phq9', every_weeks: 4, starts_on: '2026-11-02', created_by: 2, created_at: '', updated_at: '' }] },
      ],
    });
    render(MeasureSchedules, { coupleID: 3, closed: true });

    expect(await screen.findByText(/every 4 weeks from/)).toBeInTheDocument();
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
  });
});
