import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import DueQuestionnaires from './DueQuestionnaires.svelte';
import { fakeServer } from '../lib/fakeServer';

afterEach(() => vi.unstubAllGlobals());

function server(due: unknown[]) {
  return fakeServer({
    'GET /couples/3/measures-due': [200, { due }],
    'GET /questionnaires': [200, { questionnaires: [{ key: 'phq9', name: 'PHQ-9' }] }],
  });
}

describe('questionnaires due', () => {
  it('links each questionnaire due to where it is answered', async () => {
    server([{ couple_id: 3, measure_key: 'phq9', due_on: '2026-12-01', next_due_on: '2026-12-15' }]);
    render(DueQuestionnaires, { coupleID: 3, card: true });

    expect(await screen.findByRole('link', { name: 'Answer the PHQ-9' })).toHaveAttribute('href', '/progress#answer-phq9');
    expect(screen.getByRole('region', { name: 'Questionnaires to answer' })).toHaveTextContent(/asked since/);
  });

  it('hands the choice to the page that answers it', async () => {
    server([{ couple_id: 3, measure_key: 'phq9', due_on: '2026-12-01', next_due_on: '2026-12-15' }]);
    const onchoose = vi.fn();
    render(DueQuestionnaires, { coupleID: 3, onchoose });

    await userEvent.setup().click(await screen.findByRole('button', { name: 'Answer the PHQ-9' }));
    expect(onchoose).toHaveBeenCalledWith('phq9');
  });

  it('shows nothing when nothing is due', async () => {
    const fake = server([]);
    const { container } = render(DueQuestionnaires, { coupleID: 3 });

    await vi.waitFor(() => expect(fake.sent).toHaveLength(2));
    expect(container.textContent?.trim()).toBe('');
  });
});
