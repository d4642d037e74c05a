// Stand-ins for a WebSocket and the browser's online state, for tests of the live client and
// the screens built on it.
import type { LiveState } from './api';
import type { NetworkWatch, SocketLike } from './live';
import type { StreamLike, TrackLike } from './media';

export class FakeSocket implements SocketLike {
  sent: Record<string, unknown>[] = [];
  closedWith: number | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(readonly url: string) {}

  get after(): number {
    return Number(new URL(this.url).searchParams.get('after'));
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000): void {
    this.closedWith = code;
  }
  /** The server side: opens, sends a snapshot and frames. */
  open(state: LiveState, frames: object[] = []): void {
    this.onopen?.({});
    this.receive({ type: 'snapshot', seq: state.seq, state });
    for (const frame of frames) this.receive(frame);
  }
  receive(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  drop(code = 1006, reason = ''): void {
    this.onclose?.({ code, reason });
  }
}

export class FakeNetwork implements NetworkWatch {
  up = true;
  listeners = new Set<(online: boolean) => void>();
  online(): boolean {
    return this.up;
  }
  subscribe(onChange: (online: boolean) => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }
  set(up: boolean): void {
    this.up = up;
    for (const listener of this.listeners) listener(up);
  }
}

let fakeIDs = 0;

export class FakeTrack {
  enabled = true;
  stopped = false;
  readonly id = `track-${++fakeIDs}`;
  constructor(
    readonly kind: 'audio' | 'video',
    readonly deviceID = '',
  ) {}
  stop(): void {
    this.stopped = true;
  }
  getSettings(): { deviceId?: string } {
    return { deviceId: this.deviceID };
  }
}

export class FakeStream {
  onaddtrack: ((event: unknown) => void) | null = null;
  onremovetrack: ((event: unknown) => void) | null = null;
  readonly tracks: FakeTrack[];
  constructor(
    readonly id: string,
    tracks: FakeTrack[] = [],
  ) {
    this.tracks = [...tracks];
  }
  getTracks(): FakeTrack[] {
    return [...this.tracks];
  }
  getAudioTracks(): FakeTrack[] {
    return this.tracks.filter((track) => track.kind === 'audio');
  }
  getVideoTracks(): FakeTrack[] {
    return this.tracks.filter((track) => track.kind === 'video');
  }
  addTrack(track: FakeTrack): void {
    this.tracks.push(track);
  }
  removeTrack(track: FakeTrack): void {
    this.tracks.splice(this.tracks.indexOf(track), 1);
  }
  /** The remote side removes a track, as a renegotiation does. */
  lose(track: FakeTrack): void {
    this.removeTrack(track);
    this.onremovetrack?.({ track });
  }
}

/** One media section of a fake offer. */
export interface FakeSection {
  mid: string;
  kind: 'audio' | 'video';
  direction: 'sendrecv' | 'recvonly' | 'sendonly';
}

/** An offer as the server writes one: only the lines the client reads are real. */
export function fakeOffer(sections: FakeSection[]): string {
  const lines = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0'];
  for (const section of sections) {
    lines.push(`m=${section.kind} 9 UDP/TLS/RTP/SAVPF 111`, `a=mid:${section.mid}`, `a=${section.direction}`);
  }
  return lines.join('\r\n') + '\r\n';
}

class FakeSender {
  track: FakeTrack | null = null;
  streams: FakeStream[] = [];
  async replaceTrack(track: FakeTrack | null): Promise<void> {
    this.track = track;
  }
  setStreams(...streams: FakeStream[]): void {
    this.streams = streams;
  }
}

class FakeTransceiver {
  direction = 'recvonly';
  readonly sender = new FakeSender();
  constructor(
    readonly mid: string,
    readonly kind: string,
  ) {}
}

/** A peer connection that negotiates nothing: tests drive its state and its remote tracks. */
export class FakePeer {
  configuration: RTCConfiguration;
  connectionState = 'new';
  remoteDescription: { sdp: string } | null = null;
  localDescription: { sdp: string } | null = null;
  closed = false;
  candidates: RTCIceCandidateInit[] = [];
  transceivers: FakeTransceiver[] = [];
  remoteStreams = new Map<string, FakeStream>();
  onicecandidate: ((event: { candidate: { toJSON(): RTCIceCandidateInit } | null }) => void) | null = null;
  ontrack: ((event: { track: TrackLike; streams: readonly StreamLike[] }) => void) | null = null;
  onconnectionstatechange: ((event: unknown) => void) | null = null;

  constructor(configuration: RTCConfiguration = {}) {
    this.configuration = configuration;
  }

  getConfiguration(): RTCConfiguration {
    return this.configuration;
  }
  setConfiguration(configuration: RTCConfiguration): void {
    this.configuration = configuration;
  }
  async setRemoteDescription(description: { type: 'offer'; sdp: string }): Promise<void> {
    this.remoteDescription = { sdp: description.sdp };
    for (const section of description.sdp.split('m=').slice(1)) {
      const kind = section.slice(0, section.indexOf(' '));
      const mid = /a=mid:(\S+)/.exec(section)?.[1] ?? '';
      if (!this.transceivers.some((transceiver) => transceiver.mid === mid)) this.transceivers.push(new FakeTransceiver(mid, kind));
    }
  }
  async createAnswer(): Promise<{ type: RTCSdpType; sdp: string }> {
    const sending = this.transceivers.filter((transceiver) => transceiver.sender.track !== null).map((transceiver) => transceiver.mid);
    return { type: 'answer', sdp: `answer sending on ${sending.join(',') || 'nothing'}` };
  }
  async setLocalDescription(description: { type: RTCSdpType; sdp?: string }): Promise<void> {
    this.localDescription = { sdp: description.sdp ?? '' };
  }
  async addIceCandidate(candidate: RTCIceCandidateInit): Promise<void> {
    if (this.remoteDescription === null) throw new Error('no remote description');
    this.candidates.push(candidate);
  }
  getTransceivers(): FakeTransceiver[] {
    return [...this.transceivers];
  }
  close(): void {
    this.closed = true;
    this.connectionState = 'closed';
  }

  /** The browser's side: the connection state moves. */
  state(next: string): void {
    this.connectionState = next;
    this.onconnectionstatechange?.({});
  }
  /** The browser gathered a local candidate. */
  gather(candidate: RTCIceCandidateInit): void {
    this.onicecandidate?.({ candidate: { toJSON: () => candidate } });
  }
  /** The server forwards a track in the stream named streamID. */
  receive(streamID: string, kind: 'audio' | 'video' = 'audio'): FakeTrack {
    const track = new FakeTrack(kind);
    let stream = this.remoteStreams.get(streamID);
    if (!stream) {
      stream = new FakeStream(streamID);
      this.remoteStreams.set(streamID, stream);
    }
    stream.addTrack(track);
    this.ontrack?.({ track, streams: [stream] });
    return track;
  }
}

/** Media devices that hand out fake tracks, or refuse as a browser does. */
export class FakeDevices {
  asked: MediaStreamConstraints[] = [];
  /** The error name to refuse with ('NotAllowedError', 'NotFoundError'), by kind. */
  refuse: Partial<Record<'audio' | 'video', string>> = {};
  list = [
    { deviceId: 'mic-1', kind: 'audioinput', label: 'Built-in microphone' },
    { deviceId: 'mic-2', kind: 'audioinput', label: 'Headset' },
    { deviceId: 'cam-1', kind: 'videoinput', label: 'Front camera' },
  ];
  granted: FakeTrack[] = [];

  async getUserMedia(constraints: MediaStreamConstraints): Promise<FakeStream> {
    this.asked.push(constraints);
    const tracks: FakeTrack[] = [];
    for (const kind of ['audio', 'video'] as const) {
      const wanted = constraints[kind];
      if (!wanted) continue;
      const refusal = this.refuse[kind];
      if (refusal) throw Object.assign(new Error(refusal), { name: refusal });
      const exact = typeof wanted === 'object' ? (wanted.deviceId as { exact?: string } | undefined)?.exact : undefined;
      tracks.push(new FakeTrack(kind, exact ?? this.list.find((device) => device.kind === `${kind}input`)?.deviceId ?? ''));
    }
    this.granted.push(...tracks);
    return new FakeStream(`local-${++fakeIDs}`, tracks);
  }
  async enumerateDevices(): Promise<{ deviceId: string; kind: string; label: string }[]> {
    return this.list;
  }
}
