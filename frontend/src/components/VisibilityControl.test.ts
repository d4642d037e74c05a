import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import VisibilityControl from './VisibilityControl.svelte';

describe('visibility control', () => {
  it('names the people who will see the answer, with the current choice checked', () => {
    render(VisibilityControl, { props: { value: 'therapist', legend: 'Who will see your answer' } });

    const group = screen.getByRole('group', { name: 'Who will see your answer' });
    expect(group).toBeInTheDocument();
    expect(screen.getByRole('radio', { name: /^Only you/ })).not.toBeChecked();
    expect(screen.getByRole('radio', { name: /^You and your therapist/ })).toBeChecked();
    expect(screen.getByRole('radio', { name: /^You, your therapist and your partner/ })).not.toBeChecked();
    expect(group).toHaveTextContent('Your therapist can read it; your partner cannot.');
  });

  it('tells the page when the writer picks someone else, by keyboard too', async () => {
    const onchange = vi.fn();
    const user = userEvent.setup();
    render(VisibilityControl, { props: { value: 'therapist', onchange } });

    await user.click(screen.getByRole('radio', { name: /^Only you/ }));
    expect(onchange).toHaveBeenLastCalledWith('private');

    await user.keyboard('{ArrowDown}');
    expect(onchange).toHaveBeenLastCalledWith('therapist');
  });
});
