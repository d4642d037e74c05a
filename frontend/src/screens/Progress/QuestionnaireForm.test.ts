import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import QuestionnaireForm from './QuestionnaireForm.svelte';
import { fakeServer, invalid } from '../../lib/fakeServer';

const degree = ['Not at all', 'A little', 'Somewhat', 'Mostly', 'Almost Completely', 'Completely'];
const csi4 = {
  key: 'csi4',
  name: 'Couples Satisfaction Index (CSI-4)',
  citation: 'Funk & Rogge (2007)',
  instructions: 'Four short questions about how your relationship feels to you at the moment.',
  items: [
    {
      key: 'happiness',
      text: 'Please indicate the degree of happiness, all things considered, of your relationship.',
      min: 0,
      max: 6,
      anchors: ['Extremely Unhappy', 'Fairly Unhappy', 'A Little Unhappy', 'Happy', 'Very Happy', 'Extremely Happy', 'Perfect'],
    },
    { key: 'rewarding', text: 'How rewarding is your relationship with your partner?', min: 0, max: 5, anchors: degree },
  ],
  max_score: 21,
  cutoff: 13.5,
  cutoff_meaning: 'A total below 13.5 suggests notable dissatisfaction with the relationship.',
};

function measure(score: number, visibility: string) {
  return { id: 5, couple_id: 3, author_id: 7, measure_key: 'csi4', score, below_cutoff: score < 13.5, visibility, taken_at: '2026-11-25T10:00:00Z' };
}

afterEach(() => vi.unstubAllGlobals());

describe('questionnaire form', () => {
  it('asks the published questions with their published answers, and says what the score means', async () => {
    const fake = fakeServer({
      'GET /questionnaires': [200, { questionnaires: [csi4] }],
      'POST /couples/3/measures': [201, measure(9, 'private')],
    });
    const onsaved = vi.fn();
    const user = userEvent.setup();
    render(QuestionnaireForm, { coupleID: 3, onsaved });

    const happiness = await screen.findByRole('group', { name: `1. ${csi4.items[0].text}` });
    expect(happiness).toBeInTheDocument();
    expect(screen.getByRole('group', { name: `2. ${csi4.items[1].text}` })).toBeInTheDocument();
    expect(screen.getAllByRole('radio', { name: 'Perfect' })).toHaveLength(1);

    await user.click(screen.getByRole('radio', { name: 'A Little Unhappy' }));
    await user.click(screen.getByRole('radio', { name: /^Only you/ }));
    await user.click(screen.getByRole('button', { name: 'Send my answers' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Question 2 is not answered yet.');
    expect(screen.getByRole('group', { name: /^2\./ })).toHaveAccessibleDescription(/Question 2 is not answered yet/);
    expect(screen.getAllByRole('radio', { name: 'Not at all' })[0]).toHaveFocus();
    expect(fake.bodies('POST', '/couples/3/measures')).toEqual([]);

    await user.keyboard('{ArrowRight}{ArrowRight}');
    await user.click(screen.getByRole('button', { name: 'Send my answers' }));

    expect(await screen.findByText(/Your score:/)).toHaveTextContent('Your score: 9 out of 21');
    expect(screen.getByText(csi4.cutoff_meaning)).toBeInTheDocument();
    expect(screen.getByText(/Only you can see this\./)).toBeInTheDocument();
    expect(fake.bodies('POST', '/couples/3/measures')).toEqual([
      { measure_key: 'csi4', answers: { happiness: 2, rewarding: 2 }, visibility: 'private' },
    ]);
    expect(onsaved).toHaveBeenCalledTimes(1);
  });

  it('explains a total above the cut-off, and points at a question the server refused', async () => {
    let calls = 0;
    fakeServer({
      'GET /questionnaires': [200, { questionnaires: [csi4] }],
      'POST /couples/3/measures': () => (++calls === 1 ? invalid('That answer is out of range.', 'answers.rewarding') : [201, measure(16, 'therapist')]),
    });
    const user = userEvent.setup();
    render(QuestionnaireForm, { coupleID: 3 });

    await user.click(await screen.findByRole('radio', { name: 'Very Happy' }));
    await user.click(screen.getByRole('radio', { name: 'Completely' }));
    await user.click(screen.getByRole('button', { name: 'Send my answers' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('That answer is out of range.');
    expect(screen.getByRole('group', { name: /^2\./ })).toHaveAccessibleDescription('That answer is out of range.');
    expect(screen.getByRole('group', { name: /^2\./ })).toHaveTextContent('That answer is out of range.');

    await user.click(screen.getByRole('button', { name: 'Send my answers' }));
    expect(await screen.findByText(/Your score:/)).toHaveTextContent('Your score: 16 out of 21');
    expect(screen.getByText(/above 13\.5/)).toBeInTheDocument();
    expect(screen.getByText(/You and your therapist can see this\./)).toBeInTheDocument();
  });
});
