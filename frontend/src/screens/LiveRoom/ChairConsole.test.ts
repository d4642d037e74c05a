import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import type { LiveEvent, LiveState } from '../../lib/api';
import { LiveClient } from '../../lib/live';
import { MediaSession } from '../../lib/media';
import { FakeDevices, FakeNetwork, FakePeer, FakeSocket } from '../../lib/liveFakes';
import ChairConsole from './ChairConsole.svelte';

const names = { a: 'Sam', b: 'Alex', chair: 'Maya' };
const at = new Date().toISOString();

function event(seq: number, type: LiveEvent['type'], extra: Partial<LiveEvent> = {}): LiveEvent {
  return { seq, type, actor: { user_id: 1, role: 'chair' }, at, ...extra };
}

const open: LiveState = {
  seq: 0,
  mode: 'turns',
  turn_seconds: 120,
  min_break_seconds: 60,
  paused: false,
  ended: false,
  talk_ms: { a: 0, b: 0 },
  utterances: { a: 0, b: 0 },
};

describe('ChairConsole', () => {
  it('shows the chair who is speaking now and who tried to speak out of turn, per seat', async () => {
    const sockets: FakeSocket[] = [];
    const client = new LiveClient({
      sessionID: 3,
      connect: (url) => {
        const socket = new FakeSocket(url);
        sockets.push(socket);
        return socket;
      },
      network: new FakeNetwork(),
      idPrefix: 'chair',
    });
    const media = new MediaSession({ signals: client, devices: new FakeDevices(), peer: () => new FakePeer() });
    client.start();
    sockets[0].open(open);
    render(ChairConsole, { client, media, names, sessionID: 3, coupleLabel: 'Rivera & Chen' });

    const seat = (name: string) => within(screen.getByRole('list', { name: 'Voices' })).getByText(name).closest('li')!;
    expect(await screen.findByText(/Audio is never recorded or stored, and nothing is transcribed\./)).toBeInTheDocument();
    expect(seat('Sam')).toHaveTextContent('○ no voice connected');

    sockets[0].receive(event(1, 'floor_granted', { seat: 'a' }));
    sockets[0].receive({
      type: 'media_state',
      participants: [
        { role: 'chair', audio: true, video: false, heard: true, speaking: false },
        { role: 'a', audio: true, video: true, heard: true, speaking: true },
        { role: 'b', audio: true, video: false, heard: false, speaking: false },
      ],
    });
    sockets[0].receive(event(2, 'spoken_interruption', { seat: 'b', actor: { user_id: 6, role: 'b' } }));
    sockets[0].receive(event(3, 'spoken_interruption', { seat: 'b', actor: { user_id: 6, role: 'b' } }));

    expect(await screen.findByText('Tried to speak out of turn 2 times')).toBeInTheDocument();
    expect(seat('Sam')).toHaveTextContent(/◉ Speaking now\s*Heard · camera on/);
    expect(seat('Alex')).toHaveTextContent(/○ Quiet\s*Not heard\s*Tried to speak out of turn 2 times/);
    expect(seat('Maya')).not.toHaveTextContent('out of turn');
    expect(screen.getByRole('log')).toHaveTextContent('Alex spoke out of turn; their voice was not passed on.');
  });
});
