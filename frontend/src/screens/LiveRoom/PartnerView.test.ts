import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import type { LiveEvent, LiveState } from '../../lib/api';
import { LiveClient } from '../../lib/live';
import { FakeNetwork, FakeSocket } from '../../lib/liveFakes';
import PartnerView from './PartnerView.svelte';

const names = { a: 'Sam', b: 'Alex', chair: 'Maya' };
const at = new Date().toISOString();
const deadline = new Date(Date.now() + 120_000).toISOString();

function event(seq: number, type: string, extra: Partial<LiveEvent> = {}): LiveEvent {
  return { seq, type, actor: { user_id: 5, role: 'a' }, at, ...extra };
}

function room() {
  const sockets: FakeSocket[] = [];
  const client = new LiveClient({
    sessionID: 3,
    connect: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    network: new FakeNetwork(),
    idPrefix: 'view',
  });
  client.start();
  return { client, socket: () => sockets[sockets.length - 1] };
}

const samSpeaking: LiveState = {
  seq: 1,
  mode: 'listener',
  turn_seconds: 120,
  min_break_seconds: 60,
  holder: 'a',
  phase: 'speaking',
  deadline,
  held_since: at,
  paused: false,
  ended: false,
  talk_ms: { a: 0, b: 0 },
  utterances: { a: 0, b: 0 },
};

describe('PartnerView', () => {
  it("keeps the listener's speak box shut, asks for a paraphrase after the speaker yields, and opens on their turn", async () => {
    const user = userEvent.setup();
    const { client, socket } = room();
    socket().open(samSpeaking, [event(1, 'floor_granted', { seat: 'a', actor: { user_id: 1, role: 'chair' }, deadline })]);
    render(PartnerView, { client, names, seat: 'b' });

    expect(await screen.findByText('Sam is speaking; you are listening.')).toBeInTheDocument();
    expect(screen.getByLabelText('Your words')).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
    expect(screen.getByRole('timer')).toHaveTextContent(/Time left\s*[12]:\d\d/);
    expect(screen.getByText('2 minutes on the clock.')).toHaveAttribute('aria-live', 'polite');

    socket().receive({ type: 'draft', seat: 'a', text: 'When you came home' });
    expect(await screen.findByText('When you came home')).toBeInTheDocument();

    socket().receive(event(2, 'utterance', { seat: 'a', text: 'When you came home late, I felt alone.' }));
    socket().receive(event(3, 'floor_yielded', { seat: 'a' }));
    await user.type(await screen.findByLabelText('What you heard Sam say'), 'You felt alone.');
    await user.click(screen.getByRole('button', { name: 'Send what you heard' }));
    expect(socket().sent).toEqual([{ type: 'paraphrase', text: 'You felt alone.', id: 'view-1' }]);

    socket().receive(event(4, 'paraphrase', { seat: 'b', text: 'You felt alone.', actor: { user_id: 6, role: 'b' } }));
    socket().receive({ type: 'ack', id: 'view-1', seq: 4 });
    expect(await screen.findAllByText('Sam is checking your paraphrase.')).not.toHaveLength(0);
    socket().receive(event(5, 'paraphrase_confirmed', { seat: 'a' }));
    socket().receive(event(6, 'floor_granted', { seat: 'b', deadline }));

    expect(await screen.findByText(/^Your turn to speak\./)).toBeInTheDocument();
    expect(screen.getByLabelText('Your words')).toBeEnabled();
    expect(screen.getByRole('list', { name: 'People in the session' })).toHaveTextContent(/Alex \(you\).*Has the floor · speaking/);
  });

  it('shows a refusal in plain words', async () => {
    const user = userEvent.setup();
    const { client, socket } = room();
    socket().open({ ...samSpeaking, holder: undefined, phase: undefined, deadline: undefined, seq: 0 });
    render(PartnerView, { client, names, seat: 'b' });
    await user.click(await screen.findByRole('button', { name: 'Ask for the floor' }));
    socket().receive({ type: 'error', id: 'view-1', code: 'paused', message: 'The session is paused; this can wait until it resumes.' });
    expect(await screen.findByRole('alert')).toHaveTextContent('The session is on a break. This can wait until it carries on.');
  });

  it('says the therapist gives a free floor to a partner who asked, in words about them', async () => {
    const { client, socket } = room();
    const free: LiveState = { ...samSpeaking, mode: 'turns', holder: undefined, phase: undefined, deadline: undefined, queue: ['b'] };
    socket().open(free, []);
    render(PartnerView, { client, names, seat: 'b' });

    expect(await screen.findByText('No one has the floor.')).toBeInTheDocument();
    expect(screen.getByText('You asked for the floor: your therapist gives it.')).toBeInTheDocument();
  });
});
