import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiveState } from './api';
import { LiveClient } from './live';
import { DISCONNECTED_GRACE_MS, MediaSession, levelOf, mediaMessages, receivingSections, type DevicesLike } from './media';
import { FakeDevices, FakeNetwork, FakePeer, FakeSocket, FakeTrack, fakeOffer, type FakeSection } from './liveFakes';

const state: LiveState = {
  seq: 0,
  mode: 'turns',
  turn_seconds: 120,
  min_break_seconds: 60,
  paused: false,
  ended: false,
  talk_ms: { a: 0, b: 0 },
  utterances: { a: 0, b: 0 },
};

/** The server's offer to a participant: b's and the chair's voices forwarded, the participant's own received. */
const forwardedAndOwn: FakeSection[] = [
  { mid: '0', kind: 'audio', direction: 'sendonly' },
  { mid: '1', kind: 'audio', direction: 'recvonly' },
];

function room(devices: DevicesLike | null = new FakeDevices()) {
  const sockets: FakeSocket[] = [];
  const client = new LiveClient({
    sessionID: 7,
    connect: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    network: new FakeNetwork(),
    idPrefix: 'tab',
    random: () => 0.5,
  });
  const peers: FakePeer[] = [];
  const media = new MediaSession({
    signals: client,
    devices,
    peer: (configuration) => {
      const peer = new FakePeer(configuration);
      peers.push(peer);
      return peer;
    },
  });
  client.start();
  sockets[0].open(state);
  const socket = () => sockets[sockets.length - 1];
  return {
    client,
    media,
    sockets,
    socket,
    peer: () => peers[peers.length - 1],
    peers,
    /** The media frames of one type the client sent on the current socket. */
    sent: (type: string) => socket().sent.filter((frame) => frame.type === type),
  };
}

/** Lets the negotiation's promise chain run to its end (no timers involved). */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

/** Joins and answers the first offer, as a participant whose media works. */
async function joined(video = false, sections: FakeSection[] = forwardedAndOwn) {
  const r = room();
  await r.media.join({ video });
  r.socket().receive({ type: 'media_offer', sdp: fakeOffer(sections) });
  await settle();
  r.peer().state('connected');
  return r;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('MediaSession', () => {
  it('joins with the microphone, answers on the section the server receives on, and trickles candidates both ways', async () => {
    const devices = new FakeDevices();
    const { media, socket, peer, sent } = room(devices);
    await media.join({ video: false });

    expect(devices.asked).toEqual([{ audio: true, video: false }]);
    expect(sent('media_join')).toEqual([{ type: 'media_join', id: 'm1', video: false }]);
    expect(media.view.phase).toBe('connecting');
    expect(media.view.microphones).toEqual([
      { id: 'mic-1', label: 'Built-in microphone' },
      { id: 'mic-2', label: 'Headset' },
    ]);
    expect(media.view.cameras).toEqual([{ id: 'cam-1', label: 'Front camera' }]);
    expect(media.view.microphoneID).toBe('mic-1');

    socket().receive({ type: 'media_offer', sdp: fakeOffer(forwardedAndOwn) });
    socket().receive({ type: 'media_candidate', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } });
    await settle();

    const microphone = media.view.local?.getAudioTracks()[0];
    const [forwarded, own] = peer().transceivers;
    expect(own.sender.track).toBe(microphone);
    expect(own.direction).toBe('sendrecv');
    expect(forwarded.sender.track).toBeNull();
    expect(sent('media_answer')).toEqual([{ type: 'media_answer', sdp: 'answer sending on 1' }]);
    expect(sent('media_mute')).toEqual([{ type: 'media_mute', audio: true, video: false }]);
    expect(peer().candidates).toEqual([{ candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 }]);

    peer().gather({ candidate: 'candidate:2 1 udp 2 127.0.0.1 6000 typ host', sdpMid: '1', sdpMLineIndex: 1 });
    expect(sent('media_candidate')).toEqual([
      { type: 'media_candidate', candidate: { candidate: 'candidate:2 1 udp 2 127.0.0.1 6000 typ host', sdpMid: '1', sdpMLineIndex: 1 } },
    ]);

    peer().state('connected');
    expect(media.view.phase).toBe('connected');

    // A renegotiation (someone else joined) is answered without attaching the microphone twice.
    socket().receive({ type: 'media_offer', sdp: fakeOffer([...forwardedAndOwn, { mid: '2', kind: 'audio', direction: 'sendonly' }]) });
    await settle();
    expect(peer().transceivers.filter((transceiver) => transceiver.sender.track !== null)).toHaveLength(1);
    expect(sent('media_answer')).toHaveLength(2);
    expect(sent('media_mute')).toHaveLength(1);
  });

  it("builds each peer connection with the TURN relay its offer names, and takes a later offer's fresh credentials", async () => {
    const relay = (username: string): RTCIceServer[] => [
      { urls: ['turn:turn.example.org:3478?transport=udp', 'turn:turn.example.org:3478?transport=tcp'], username, credential: `secret-${username}` },
    ];
    const { media, socket, peer, peers, sent } = room();
    await media.join({ video: false });
    expect(peers).toHaveLength(0);

    socket().receive({ type: 'media_offer', sdp: fakeOffer(forwardedAndOwn), ice_servers: relay('1764846000') });
    await settle();
    expect(peers).toHaveLength(1);
    expect(peer().configuration).toEqual({ iceServers: relay('1764846000') });
    expect(sent('media_answer')).toHaveLength(1);

    // A renegotiation on the same connection brings fresh credentials.
    socket().receive({ type: 'media_offer', sdp: fakeOffer(forwardedAndOwn), ice_servers: relay('1764889200') });
    await settle();
    expect(peers).toHaveLength(1);
    expect(peer().configuration).toEqual({ iceServers: relay('1764889200') });

    // The media moved to another server: the new join's offer builds a new connection with its relay.
    socket().receive({ type: 'media_error', code: 'media_rejoin', message: 'Voice moved to another server; join again.' });
    vi.advanceTimersByTime(1_000);
    expect(sent('media_join')).toHaveLength(2);
    socket().receive({ type: 'media_offer', sdp: fakeOffer(forwardedAndOwn), ice_servers: relay('1764892800') });
    await settle();
    expect(peers).toHaveLength(2);
    expect(peer().configuration).toEqual({ iceServers: relay('1764892800') });

    // A server without a relay names none: the browser's own candidates only.
    peer().state('connected');
    peer().state('failed');
    vi.advanceTimersByTime(1_000);
    socket().receive({ type: 'media_offer', sdp: fakeOffer(forwardedAndOwn) });
    await settle();
    expect(peers).toHaveLength(3);
    expect(peer().configuration).toEqual({ iceServers: [] });
  });

  it.each([
    { name: 'the browser refuses the microphone', devices: Object.assign(new FakeDevices(), { refuse: { audio: 'NotAllowedError' } }), message: mediaMessages.refused },
    { name: 'there is no microphone', devices: Object.assign(new FakeDevices(), { refuse: { audio: 'NotFoundError' } }), message: mediaMessages.noMicrophone },
    { name: 'the browser has no media devices here', devices: null, message: mediaMessages.noDevices },
  ])('keeps the text room with a calm message when $name', async ({ devices, message }) => {
    const { client, media, socket, sent } = room(devices);
    await media.join({ video: true });

    expect(media.view.phase).toBe('unavailable');
    expect(media.view.message).toBe(message);
    expect(message).toContain("You're in the session by text");
    expect(sent('media_join')).toEqual([]);
    expect(client.view.connection).toBe('live');
    void client.send({ type: 'request_floor' });
    expect(socket().sent).toEqual([{ type: 'request_floor', id: 'tab-1' }]);
  });

  it('joins with the microphone only when the camera cannot be used', async () => {
    const devices = Object.assign(new FakeDevices(), { refuse: { video: 'NotReadableError' } });
    const { media, sent } = room(devices);
    await media.join({ video: true });
    expect(media.view.message).toBe(mediaMessages.noCamera);
    expect(media.view.local?.getTracks().map((track) => track.kind)).toEqual(['audio']);
    expect(sent('media_join')).toEqual([{ type: 'media_join', id: 'm1', video: false }]);
  });

  it.each([
    { name: 'the connection failed', change: ['failed'], wait: 1_000, rejoins: true },
    { name: 'the connection stayed disconnected for a few seconds', change: ['disconnected'], wait: DISCONNECTED_GRACE_MS + 1_000, rejoins: true },
    { name: 'the connection was disconnected only for a moment', change: ['disconnected', 'connected'], wait: DISCONNECTED_GRACE_MS + 1_000, rejoins: false },
  ])('negotiates anew from scratch when $name', async ({ change, wait, rejoins }) => {
    const { media, socket, peer, peers, sent } = await joined();
    const first = peer();
    for (const next of change) first.state(next);
    vi.advanceTimersByTime(wait - 1);
    expect(sent('media_join')).toHaveLength(1);
    vi.advanceTimersByTime(1);

    if (rejoins) {
      expect(first.closed).toBe(true);
      expect(sent('media_join')).toEqual([
        { type: 'media_join', id: 'm1', video: false },
        { type: 'media_join', id: 'm2', video: false },
      ]);
      expect(media.view.phase).toBe('reconnecting');
      socket().receive({ type: 'media_offer', sdp: fakeOffer(forwardedAndOwn) });
      await settle();
      expect(peers).toHaveLength(2);
      expect(sent('media_answer')).toHaveLength(2);
    } else {
      expect(first.closed).toBe(false);
      expect(sent('media_join')).toHaveLength(1);
      expect(media.view.phase).toBe('connected');
    }
  });

  it('joins again on the new socket after the live connection comes back, and ignores the old peer', async () => {
    const { media, sockets, socket, peer, peers } = await joined();
    const first = peer();
    sockets[0].drop(1006);
    vi.advanceTimersByTime(1_000);
    expect(sockets).toHaveLength(2);
    socket().open(state);

    expect(first.closed).toBe(true);
    expect(socket().sent).toEqual([{ type: 'media_join', id: 'm2', video: false }]);
    // The old connection's last words change nothing.
    first.gather({ candidate: 'candidate:old', sdpMid: '1', sdpMLineIndex: 1 });
    first.state('failed');
    expect(socket().sent).toHaveLength(1);
    expect(media.view.phase).toBe('reconnecting');
    socket().receive({ type: 'media_offer', sdp: fakeOffer(forwardedAndOwn) });
    await settle();
    expect(peers).toHaveLength(2);
  });

  it('tells the room when the microphone is muted and turns the camera on by joining again with video', async () => {
    const { media, socket, peer, sent } = await joined();
    media.setAudio(false);
    expect(media.view.local?.getAudioTracks()[0].enabled).toBe(false);
    expect(media.view.audio).toBe(false);
    expect(sent('media_mute').at(-1)).toEqual({ type: 'media_mute', audio: false, video: false });

    await media.setVideo(true);
    expect(sent('media_join').at(-1)).toEqual({ type: 'media_join', id: 'm2', video: true });
    socket().receive({ type: 'media_offer', sdp: fakeOffer([...forwardedAndOwn, { mid: '2', kind: 'video', direction: 'recvonly' }]) });
    await settle();
    const camera = media.view.local?.getVideoTracks()[0];
    expect(peer().transceivers.find((transceiver) => transceiver.mid === '2')?.sender.track).toBe(camera);
    // The new connection is told the microphone is still muted.
    expect(sent('media_mute').at(-1)).toEqual({ type: 'media_mute', audio: false, video: true });

    await media.setVideo(false);
    expect(camera?.enabled).toBe(false);
    expect(sent('media_mute').at(-1)).toEqual({ type: 'media_mute', audio: false, video: false });
    expect(sent('media_join')).toHaveLength(2);
  });

  it('switches the microphone on the live connection without joining again', async () => {
    const devices = new FakeDevices();
    const { media, peer, sent } = await (async () => {
      const r = room(devices);
      await r.media.join({ video: false });
      r.socket().receive({ type: 'media_offer', sdp: fakeOffer(forwardedAndOwn) });
      await settle();
      return r;
    })();
    const before = media.view.local!.getAudioTracks()[0] as FakeTrack;
    await media.chooseMicrophone('mic-2');

    const after = media.view.local!.getAudioTracks()[0];
    expect(devices.asked.at(-1)).toEqual({ audio: { deviceId: { exact: 'mic-2' } } });
    expect(after).not.toBe(before);
    expect(before.stopped).toBe(true);
    expect(peer().transceivers[1].sender.track).toBe(after);
    expect(media.view.microphoneID).toBe('mic-2');
    expect(sent('media_join')).toHaveLength(1);
  });

  it('shows each forwarded voice by the role of its stream, and forgets it when its track goes', async () => {
    const { media, peer } = await joined();
    const fromB = peer().receive('b');
    peer().receive('chair');
    expect(media.view.remote.map((remote) => [remote.role, remote.video])).toEqual([
      ['b', false],
      ['chair', false],
    ]);
    peer().remoteStreams.get('b')!.lose(fromB);
    expect(media.view.remote.map((remote) => remote.role)).toEqual(['chair']);
  });

  it('leaves: tells the server, closes the connection and lets go of the microphone', async () => {
    const { media, peer, sent } = await joined();
    const microphone = media.view.local!.getAudioTracks()[0] as FakeTrack;
    media.leave();
    expect(sent('media_leave')).toEqual([{ type: 'media_leave' }]);
    expect(peer().closed).toBe(true);
    expect(microphone.stopped).toBe(true);
    expect(media.view).toMatchObject({ phase: 'off', local: null, remote: [], audio: false });
  });

  it('lets go of the microphone when the live session stops for good', async () => {
    const { media, socket, peer } = await joined();
    const microphone = media.view.local!.getAudioTracks()[0] as FakeTrack;
    socket().drop(1008, 'Your access to this session has ended.');
    expect(peer().closed).toBe(true);
    expect(microphone.stopped).toBe(true);
    expect(media.view.phase).toBe('off');
  });

  it('lets go of a microphone the browser grants after the participant already left', async () => {
    const devices = new FakeDevices();
    const { media, sent } = room(devices);
    const joining = media.join({ video: false });
    media.leave();
    await joining;
    expect(devices.granted.every((track) => track.stopped)).toBe(true);
    expect(media.view.phase).toBe('off');
    expect(sent('media_join')).toEqual([]);
  });

  it.each([
    { code: 'media_unavailable', phase: 'unavailable', message: mediaMessages.serverUnavailable, rejoins: false },
    { code: 'not_allowed', phase: 'unavailable', message: mediaMessages.notAllowed, rejoins: false },
    { code: 'media_failed', phase: 'reconnecting', message: '', rejoins: true },
  ])('answers a media_error $code', async ({ code, phase, message, rejoins }) => {
    const { media, socket, sent } = await joined();
    const microphone = media.view.local!.getAudioTracks()[0] as FakeTrack;
    socket().receive({ type: 'media_error', id: 'm1', code, message: 'from the server' });
    expect(media.view.phase).toBe(phase);
    expect(media.view.message).toBe(message);
    expect(microphone.stopped).toBe(!rejoins);
    vi.advanceTimersByTime(1_000);
    expect(sent('media_join')).toHaveLength(rejoins ? 2 : 1);
  });
});

describe('the live client and media', () => {
  it("keeps the server's media_state in the view until the socket goes, and sends media frames only when synced", () => {
    const { client, sockets } = room();
    const participants = [
      { role: 'chair', audio: true, video: false, heard: true, speaking: false },
      { role: 'a', audio: true, video: false, heard: true, speaking: true },
      { role: 'b', audio: true, video: false, heard: false, speaking: false },
    ];
    sockets[0].receive({ type: 'media_state', participants });
    expect(client.view.media).toEqual(participants);

    sockets[0].drop(1006);
    expect(client.view.media).toEqual([]);
    expect(client.sendMedia({ type: 'media_leave' })).toBe(false);
    expect(sockets[0].sent).toEqual([]);
  });
});

describe('receivingSections', () => {
  it('finds the sections the server receives on, by mid and kind', () => {
    const sdp = fakeOffer([
      { mid: '0', kind: 'audio', direction: 'sendonly' },
      { mid: '1', kind: 'audio', direction: 'recvonly' },
      { mid: '2', kind: 'video', direction: 'sendrecv' },
    ]);
    expect([...receivingSections(sdp)]).toEqual([
      ['1', 'audio'],
      ['2', 'video'],
    ]);
  });
});

describe('levelOf', () => {
  it.each([
    { name: 'silence', samples: new Float32Array(256), level: 0 },
    { name: 'a full-scale square wave', samples: Float32Array.from({ length: 256 }, (_, i) => (i % 2 === 0 ? 1 : -1)), level: 1 },
    { name: 'a signal at -30 dBFS', samples: new Float32Array(256).fill(10 ** (-30 / 20)), level: 0.5 },
    { name: 'no samples', samples: new Float32Array(0), level: 0 },
  ])('reads $name as $level', ({ samples, level }) => {
    expect(levelOf(samples)).toBeCloseTo(level, 5);
  });
});
