import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import type { LiveEvent, LiveState } from '../../lib/api';
import { LiveClient } from '../../lib/live';
import { MediaSession, mediaMessages } from '../../lib/media';
import { FakeDevices, FakeNetwork, FakePeer, FakeSocket } from '../../lib/liveFakes';
import PartnerView from './PartnerView.svelte';

const names = { a: 'Sam', b: 'Alex', chair: 'Maya' };
const at = new Date().toISOString();
const deadline = new Date(Date.now() + 120_000).toISOString();

function event(seq: number, type: LiveEvent['type'], extra: Partial<LiveEvent> = {}): LiveEvent {
  return { seq, type, actor: { user_id: 5, role: 'a' }, at, ...extra };
}

function room(devices = new FakeDevices()) {
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
  const media = new MediaSession({ signals: client, devices, peer: () => new FakePeer() });
  client.start();
  return { client, media, socket: () => sockets[sockets.length - 1] };
}

const grantedToSam = event(1, 'floor_granted', { seat: 'a', actor: { user_id: 1, role: 'chair' }, deadline });

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
    const { client, media, socket } = room();
    socket().open(samSpeaking, [event(1, 'floor_granted', { seat: 'a', actor: { user_id: 1, role: 'chair' }, deadline })]);
    render(PartnerView, { client, media, names, seat: 'b' });

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

  it('gives the listener one box while they paraphrase: the one they may type in now', async () => {
    const { client, media, socket } = room();
    socket().open(samSpeaking, [grantedToSam]);
    render(PartnerView, { client, media, names, seat: 'b' });
    expect(await screen.findByLabelText('Your words')).toBeDisabled();

    socket().receive(event(2, 'floor_yielded', { seat: 'a' }));
    expect(await screen.findByLabelText('What you heard Sam say')).toBeEnabled();
    expect(screen.getAllByRole('textbox')).toHaveLength(1);
    expect(screen.queryByLabelText('Your words')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Send' })).not.toBeInTheDocument();

    socket().receive(event(3, 'paraphrase', { seat: 'b', text: 'You felt alone.', actor: { user_id: 6, role: 'b' } }));
    expect(await screen.findByLabelText('Your words')).toBeDisabled();
    expect(screen.getAllByRole('textbox')).toHaveLength(1);
  });

  it.each([
    {
      showDrafts: false,
      sentence: 'Your typing is not shown to Alex or Maya: they read your words when you send them.',
      drafts: [],
    },
    { showDrafts: true, sentence: 'Your typing is shown to Alex and Maya as you write.', drafts: ['I'] },
  ])('says whether the speaker’s typing is shown and relays it only then (shown: $showDrafts)', async ({ showDrafts, sentence, drafts }) => {
    const user = userEvent.setup();
    const { client, media, socket } = room();
    socket().open({ ...samSpeaking, show_drafts: showDrafts }, [grantedToSam]);
    const draft = vi.spyOn(client, 'draft');
    render(PartnerView, { client, media, names, seat: 'a' });

    expect(await screen.findByText(sentence)).toBeInTheDocument();
    await user.type(screen.getByLabelText('Your words'), 'I');
    expect(draft.mock.calls.map(([text]) => text)).toEqual(drafts);
  });

  it('shows a refusal in plain words', async () => {
    const user = userEvent.setup();
    const { client, media, socket } = room();
    socket().open({ ...samSpeaking, holder: undefined, phase: undefined, deadline: undefined, seq: 0 });
    render(PartnerView, { client, media, names, seat: 'b' });
    await user.click(await screen.findByRole('button', { name: 'Ask for the floor' }));
    socket().receive({ type: 'error', id: 'view-1', code: 'paused', message: 'The session is paused; this can wait until it resumes.' });
    expect(await screen.findByRole('alert')).toHaveTextContent('The session is on a break. This can wait until it carries on.');
  });

  it('says the therapist gives a free floor to a partner who asked, in words about them', async () => {
    const { client, media, socket } = room();
    const free: LiveState = { ...samSpeaking, mode: 'turns', holder: undefined, phase: undefined, deadline: undefined, queue: ['b'] };
    socket().open(free, []);
    render(PartnerView, { client, media, names, seat: 'b' });

    expect(await screen.findByText('No one has the floor.')).toBeInTheDocument();
    expect(screen.getByText('You asked for the floor: your therapist gives it.')).toBeInTheDocument();
  });

  it('says plainly whether the partner can be heard, from the server’s media state, in words and not color alone', async () => {
    const { client, media, socket } = room();
    socket().open(samSpeaking, [grantedToSam]);
    render(PartnerView, { client, media, names, seat: 'b' });
    const state = (heardA: boolean, heardB: boolean) => ({
      type: 'media_state',
      participants: [
        { role: 'chair', audio: true, video: false, heard: true, speaking: false },
        { role: 'a', audio: true, video: false, heard: heardA, speaking: heardA },
        { role: 'b', audio: true, video: false, heard: heardB, speaking: false },
      ],
    });

    socket().receive(state(true, false));
    const notHeard = await screen.findByText('You are not heard — Sam has the floor');
    expect(notHeard.closest('[role="status"]')).toHaveTextContent('⊘');

    socket().receive(event(2, 'floor_granted', { seat: 'b', actor: { user_id: 1, role: 'chair' }, deadline }));
    socket().receive(state(false, true));
    const heard = await screen.findByText('You can be heard now');
    expect(heard.closest('[role="status"]')).toHaveTextContent('◉');
    expect(screen.queryByText(/You are not heard/)).not.toBeInTheDocument();
  });

  it('shows only the partner who spoke out of turn a gentle notice with a one-tap floor request', async () => {
    const user = userEvent.setup();
    const { client, media, socket } = room();
    socket().open(samSpeaking, [grantedToSam]);
    render(PartnerView, { client, media, names, seat: 'b' });

    socket().receive(event(2, 'spoken_interruption', { seat: 'b', actor: { user_id: 6, role: 'b' } }));
    expect(await screen.findByText("Sam has the floor — you're next in the queue")).toBeInTheDocument();
    expect(screen.getByRole('log')).toHaveTextContent('Alex spoke out of turn; their voice was not passed on.');
    await user.click(screen.getByRole('button', { name: 'Ask for the floor' }));
    expect(socket().sent).toEqual([{ type: 'request_floor', id: 'view-1' }]);
    socket().receive(event(3, 'floor_requested', { seat: 'b', actor: { user_id: 6, role: 'b' } }));
    expect(await screen.findByRole('button', { name: 'You asked for the floor' })).toBeDisabled();

    // Once the floor moves, the notice has done its work.
    socket().receive(event(4, 'floor_granted', { seat: 'b', actor: { user_id: 1, role: 'chair' }, deadline }));
    expect(await screen.findByText(/^Your turn to speak\./)).toBeInTheDocument();
    expect(screen.queryByText(/you're next in the queue/)).not.toBeInTheDocument();
  });

  it('does not show a partner the other one’s spoken interruption', async () => {
    const { client, media, socket } = room();
    socket().open(samSpeaking, [grantedToSam]);
    render(PartnerView, { client, media, names, seat: 'a' });
    socket().receive(event(2, 'spoken_interruption', { seat: 'b', actor: { user_id: 6, role: 'b' } }));
    socket().receive(event(3, 'utterance', { seat: 'a', text: 'I missed you.' }));
    expect(await screen.findByText('I missed you.')).toBeInTheDocument();
    expect(screen.getByRole('log')).not.toHaveTextContent('out of turn');
    expect(screen.queryByText(/you're next in the queue/)).not.toBeInTheDocument();
  });

  it('keeps the text room with a calm message when the microphone is refused, and says audio is never recorded', async () => {
    const user = userEvent.setup();
    const devices = Object.assign(new FakeDevices(), { refuse: { audio: 'NotAllowedError' } });
    const { client, media, socket } = room(devices);
    socket().open({ ...samSpeaking, seq: 0, holder: 'b' });
    render(PartnerView, { client, media, names, seat: 'b' });

    expect(await screen.findByText(/Audio is never recorded or stored, and nothing is transcribed\./)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Join with microphone' }));
    expect(await screen.findByText(mediaMessages.refused)).toBeInTheDocument();
    expect(socket().sent.filter((frame) => frame.type === 'media_join')).toEqual([]);
    await user.type(screen.getByLabelText('Your words'), 'By text, then.');
    await user.click(screen.getByRole('button', { name: 'Send' }));
    expect(socket().sent).toEqual([{ type: 'say', text: 'By text, then.', id: 'view-1' }]);
  });

  it('joins with the microphone by keyboard, shows the level meter and device choice, mutes and leaves', async () => {
    const user = userEvent.setup();
    const { client, media, socket } = room();
    socket().open(samSpeaking, [grantedToSam]);
    render(PartnerView, { client, media, names, seat: 'b' });

    screen.getByRole('button', { name: 'Join with microphone' }).focus();
    await user.keyboard('{Enter}');
    expect(await screen.findByText('Connecting your voice…')).toBeInTheDocument();
    expect(socket().sent).toEqual([{ type: 'media_join', id: 'm1', video: false }]);
    expect(screen.getByLabelText('Your microphone').tagName).toBe('METER');
    expect(screen.getByLabelText('Microphone')).toHaveValue('mic-1');

    await user.click(screen.getByRole('button', { name: 'Mute microphone' }));
    expect(await screen.findByRole('button', { name: 'Unmute microphone' })).toBeInTheDocument();
    expect(screen.getByText('Muted')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Leave voice' }));
    expect(socket().sent.at(-1)).toEqual({ type: 'media_leave' });
    expect(await screen.findByRole('button', { name: 'Join with microphone' })).toBeInTheDocument();
  });
});
