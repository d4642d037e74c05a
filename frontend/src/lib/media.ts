// Voice (and optional video) in a live room: the microphone and camera, one peer connection to
// the server's forwarding unit negotiated over the live socket, and the voices it forwards. The
// server decides who is heard; this only connects, and connects again after a failure. Nothing
// is recorded: the tracks go to the peer connection and to <audio>/<video> elements, nowhere else.
import type { LiveClient, ServerMediaFrame } from './live';

/** The parts of the browser's media objects this module uses, so tests can hand in fakes. */
export interface TrackLike {
  readonly kind: string;
  readonly id: string;
  enabled: boolean;
  stop(): void;
  getSettings?(): { deviceId?: string };
}

export interface StreamLike {
  readonly id: string;
  getTracks(): TrackLike[];
  getAudioTracks(): TrackLike[];
  getVideoTracks(): TrackLike[];
  addTrack(track: TrackLike): void;
  removeTrack(track: TrackLike): void;
  onaddtrack: ((event: unknown) => void) | null;
  onremovetrack: ((event: unknown) => void) | null;
}

export interface SenderLike {
  readonly track: TrackLike | null;
  replaceTrack(track: TrackLike | null): Promise<void>;
  setStreams?(...streams: StreamLike[]): void;
}

export interface TransceiverLike {
  readonly mid: string | null;
  direction: string;
  readonly sender: SenderLike;
}

export interface PeerLike {
  readonly connectionState: string;
  readonly localDescription: { sdp: string } | null;
  onicecandidate: ((event: { candidate: { toJSON(): RTCIceCandidateInit } | null }) => void) | null;
  ontrack: ((event: { track: TrackLike; streams: readonly StreamLike[] }) => void) | null;
  onconnectionstatechange: ((event: unknown) => void) | null;
  setRemoteDescription(description: { type: 'offer'; sdp: string }): Promise<void>;
  createAnswer(): Promise<{ type: RTCSdpType; sdp?: string }>;
  setLocalDescription(description: { type: RTCSdpType; sdp?: string }): Promise<void>;
  addIceCandidate(candidate: RTCIceCandidateInit): Promise<void>;
  getTransceivers(): TransceiverLike[];
  getConfiguration(): RTCConfiguration;
  setConfiguration(configuration: RTCConfiguration): void;
  close(): void;
}

export interface DevicesLike {
  getUserMedia(constraints: MediaStreamConstraints): Promise<StreamLike>;
  enumerateDevices(): Promise<{ deviceId: string; kind: string; label: string }[]>;
}

/** Where this participant's media stands. */
export type MediaPhase = 'off' | 'asking' | 'connecting' | 'connected' | 'reconnecting' | 'unavailable';

export type MediaRole = 'chair' | 'a' | 'b';

export interface DeviceChoice {
  id: string;
  label: string;
}

/** A stream the server forwards, by the role of the person it comes from. */
export interface RemoteMedia {
  id: string;
  role: MediaRole | null;
  stream: StreamLike;
  video: boolean;
}

/** What a screen shows; a new object after every change. */
export interface MediaView {
  phase: MediaPhase;
  /** A calm sentence about media that did not work out; empty when there is nothing to say. */
  message: string;
  microphones: DeviceChoice[];
  cameras: DeviceChoice[];
  /** The chosen devices; empty for the browser's default. */
  microphoneID: string;
  cameraID: string;
  /** The microphone is on (not muted). */
  audio: boolean;
  /** The camera is on. */
  video: boolean;
  local: StreamLike | null;
  remote: RemoteMedia[];
}

export interface MediaSessionOptions {
  /** The live connection that carries the signalling. */
  signals: Pick<LiveClient, 'media' | 'sendMedia'>;
  /** The browser's media devices; null where the browser has none (or the page is not secure). */
  devices?: DevicesLike | null;
  /** Makes a peer connection with the configuration given; defaults to the browser's. */
  peer?: (configuration: RTCConfiguration) => PeerLike;
}

/** How long a connection may stay "disconnected" before it is negotiated anew. */
export const DISCONNECTED_GRACE_MS = 3_000;
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 10_000;

const TEXT_ONLY = "You're in the session by text, and everything else works as usual.";
export const mediaMessages = {
  noDevices: `This browser can't use a microphone here. ${TEXT_ONLY}`,
  refused: `The microphone wasn't allowed. ${TEXT_ONLY} To speak, allow the microphone for this site in your browser, then join again.`,
  noMicrophone: `No microphone could be used. ${TEXT_ONLY}`,
  noCamera: 'Your camera could not be used, so you joined with your microphone only.',
  deviceSwitch: 'That device could not be used; the one before it is still on.',
  serverUnavailable: `Voice isn't available for this session right now. ${TEXT_ONLY}`,
  notAllowed: `Voice isn't open to you in this session. ${TEXT_ONLY}`,
};

function refusalMessage(error: unknown): string {
  const name = (error as { name?: string } | null)?.name;
  return name === 'NotAllowedError' || name === 'SecurityError' ? mediaMessages.refused : mediaMessages.noMicrophone;
}

/**
 * The role a forwarded stream comes from. The server names each outgoing stream after its
 * sender's role (docs/protocol.md).
 */
export function roleOfStream(streamID: string): MediaRole | null {
  return streamID === 'chair' || streamID === 'a' || streamID === 'b' ? streamID : null;
}

/**
 * The offer's media sections the server receives on (its direction sendrecv or recvonly), as
 * mid -> kind: where this participant's own microphone and camera go.
 */
export function receivingSections(sdp: string): Map<string, string> {
  const sections = new Map<string, string>();
  for (const section of sdp.split(/\r?\n(?=m=)/).filter((part) => part.startsWith('m='))) {
    const kind = section.slice(2, section.indexOf(' '));
    const mid = /^a=mid:(\S+)/m.exec(section)?.[1];
    const direction = /^a=(sendrecv|recvonly|sendonly|inactive)\s*$/m.exec(section)?.[1] ?? 'sendrecv';
    if (mid !== undefined && (direction === 'sendrecv' || direction === 'recvonly')) sections.set(mid, kind);
  }
  return sections;
}

function browserDevices(): DevicesLike | null {
  const devices = globalThis.navigator?.mediaDevices;
  return devices ? (devices as unknown as DevicesLike) : null;
}

function constraint(deviceID: string): MediaTrackConstraints | boolean {
  return deviceID === '' ? true : { deviceId: { exact: deviceID } };
}

export class MediaSession {
  #view: MediaView = {
    phase: 'off',
    message: '',
    microphones: [],
    cameras: [],
    microphoneID: '',
    cameraID: '',
    audio: false,
    video: false,
    local: null,
    remote: [],
  };
  readonly #listeners = new Set<(view: MediaView) => void>();
  readonly #signals: MediaSessionOptions['signals'];
  readonly #devices: DevicesLike | null;
  readonly #makePeer: (configuration: RTCConfiguration) => PeerLike;
  readonly #unsubscribe: () => void;
  #local: StreamLike | null = null;
  #peer: PeerLike | null = null;
  /** A media_join was sent and its offer, which the peer connection is built for, has not come. */
  #awaitingOffer = false;
  /** Offers and candidates for the current peer, one at a time and in order. */
  #negotiation: Promise<void> = Promise.resolve();
  #muteSent = false;
  readonly #remote = new Map<string, StreamLike>();
  #joins = 0;
  #failures = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #disconnectTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: MediaSessionOptions) {
    this.#signals = options.signals;
    this.#devices = options.devices === undefined ? browserDevices() : options.devices;
    this.#makePeer = options.peer ?? ((configuration) => new RTCPeerConnection(configuration) as unknown as PeerLike);
    this.#unsubscribe = this.#signals.media({
      frame: (frame) => this.#frame(frame),
      synced: () => this.#synced(),
      stopped: () => this.leave(),
    });
  }

  get view(): MediaView {
    return this.#view;
  }

  /** Svelte's store contract: called now and after every change; returns the unsubscribe. */
  subscribe(listener: (view: MediaView) => void): () => void {
    this.#listeners.add(listener);
    listener(this.#view);
    return () => this.#listeners.delete(listener);
  }

  /** Asks for the microphone (and the camera when video) and joins the room's media. */
  async join(options: { video: boolean }): Promise<void> {
    if (this.#local !== null || this.#view.phase === 'asking') return;
    if (this.#devices === null) {
      this.#update({ phase: 'unavailable', message: mediaMessages.noDevices });
      return;
    }
    this.#update({ phase: 'asking', message: '' });
    const got = await this.#capture(this.#devices, options.video);
    if (this.view.phase !== 'asking') {
      // Left while the browser was asking (read through the getter: the await may have changed it).
      for (const track of got.stream?.getTracks() ?? []) track.stop();
      return;
    }
    if (got.stream === null) {
      this.#update({ phase: 'unavailable', message: got.message });
      return;
    }
    this.#local = got.stream;
    const audio = got.stream.getAudioTracks()[0];
    const video = got.stream.getVideoTracks()[0];
    this.#update({
      local: got.stream,
      audio: true,
      video: video !== undefined,
      message: got.message,
      microphoneID: audio?.getSettings?.().deviceId ?? this.#view.microphoneID,
      cameraID: video?.getSettings?.().deviceId ?? this.#view.cameraID,
      ...(await this.#deviceLists(this.#devices)),
    });
    this.#connect();
  }

  /** Closes this participant's media and lets go of the microphone and camera; the text room stays. */
  leave(): void {
    const joined = this.#local !== null;
    this.#clearTimers();
    this.#closePeer();
    if (joined) this.#signals.sendMedia({ type: 'media_leave' });
    for (const track of this.#local?.getTracks() ?? []) track.stop();
    this.#local = null;
    this.#failures = 0;
    this.#update({ phase: 'off', message: '', local: null, remote: [], audio: false, video: false });
  }

  /** Leaves and stops listening to the live connection, for good. */
  stop(): void {
    this.leave();
    this.#unsubscribe();
  }

  /** Turns the microphone on or off (muted sends silence) and tells the room. */
  setAudio(on: boolean): void {
    const track = this.#local?.getAudioTracks()[0];
    if (!track) return;
    track.enabled = on;
    this.#update({ audio: on });
    this.#sendMute();
  }

  /** Turns the camera on or off; the first time on, the media is negotiated anew with video. */
  async setVideo(on: boolean): Promise<void> {
    const local = this.#local;
    if (local === null || this.#devices === null) return;
    const track = local.getVideoTracks()[0];
    if (track) {
      track.enabled = on;
      this.#update({ video: on });
      this.#sendMute();
      return;
    }
    if (!on) return;
    try {
      const camera = await this.#devices.getUserMedia({ video: constraint(this.#view.cameraID) });
      if (this.#local !== local) {
        for (const added of camera.getTracks()) added.stop();
        return;
      }
      const added = camera.getVideoTracks()[0];
      local.addTrack(added);
      this.#update({ video: true, message: '', cameraID: added.getSettings?.().deviceId ?? this.#view.cameraID, ...(await this.#deviceLists(this.#devices)) });
      this.#connect();
    } catch {
      this.#update({ message: mediaMessages.noCamera });
    }
  }

  /** Switches to another microphone, without leaving. */
  chooseMicrophone(deviceID: string): Promise<void> {
    this.#update({ microphoneID: deviceID });
    return this.#switchDevice('audio', deviceID);
  }

  /** Switches to another camera, without leaving. */
  chooseCamera(deviceID: string): Promise<void> {
    this.#update({ cameraID: deviceID });
    return this.#switchDevice('video', deviceID);
  }

  #update(change: Partial<MediaView>): void {
    this.#view = { ...this.#view, ...change };
    for (const listener of this.#listeners) listener(this.#view);
  }

  /** The microphone, with the camera when asked; without it when only the camera fails. */
  async #capture(devices: DevicesLike, video: boolean): Promise<{ stream: StreamLike | null; message: string }> {
    const audio = constraint(this.#view.microphoneID);
    try {
      return { stream: await devices.getUserMedia({ audio, video: video && constraint(this.#view.cameraID) }), message: '' };
    } catch (error) {
      if (!video) return { stream: null, message: refusalMessage(error) };
    }
    try {
      return { stream: await devices.getUserMedia({ audio }), message: mediaMessages.noCamera };
    } catch (error) {
      return { stream: null, message: refusalMessage(error) };
    }
  }

  /** The microphones and cameras to choose from; their names show once the browser allowed one. */
  async #deviceLists(devices: DevicesLike): Promise<Pick<MediaView, 'microphones' | 'cameras'>> {
    let all: { deviceId: string; kind: string; label: string }[] = [];
    try {
      all = await devices.enumerateDevices();
    } catch {
      // Without a list, the browser's default devices are used.
    }
    const choices = (kind: string, noun: string) =>
      all.filter((device) => device.kind === kind && device.deviceId !== '').map((device, index) => ({ id: device.deviceId, label: device.label || `${noun} ${index + 1}` }));
    return { microphones: choices('audioinput', 'Microphone'), cameras: choices('videoinput', 'Camera') };
  }

  async #switchDevice(kind: 'audio' | 'video', deviceID: string): Promise<void> {
    const local = this.#local;
    const old = kind === 'audio' ? local?.getAudioTracks()[0] : local?.getVideoTracks()[0];
    if (!local || !old || this.#devices === null) return;
    let fresh: TrackLike;
    try {
      const stream = await this.#devices.getUserMedia(kind === 'audio' ? { audio: constraint(deviceID) } : { video: constraint(deviceID) });
      fresh = stream.getTracks()[0];
    } catch {
      this.#update({ message: mediaMessages.deviceSwitch });
      return;
    }
    if (this.#local !== local) {
      fresh.stop();
      return;
    }
    fresh.enabled = old.enabled;
    const sender = this.#peer?.getTransceivers().find((transceiver) => transceiver.sender.track === old)?.sender;
    await sender?.replaceTrack(fresh);
    local.removeTrack(old);
    old.stop();
    local.addTrack(fresh);
    this.#update({ local, message: '' });
  }

  /**
   * A media_join: every (re)connection negotiates from scratch, on a peer connection built when
   * the server's offer arrives, with the ICE servers (TURN) the offer names.
   */
  #connect(): void {
    this.#clearTimers();
    this.#closePeer();
    const local = this.#local;
    if (local === null) return;
    const again = this.#failures > 0 || this.#view.phase === 'connected' || this.#view.phase === 'reconnecting';
    const sent = this.#signals.sendMedia({ type: 'media_join', id: `m${++this.#joins}`, video: local.getVideoTracks().length > 0 });
    // When the live socket is down, the next snapshot brings a synced, and with it a new join.
    this.#awaitingOffer = sent;
    this.#update({ phase: sent && !again ? 'connecting' : 'reconnecting', remote: [] });
  }

  /** The peer connection for the offer that answers the latest join. */
  #openPeer(iceServers: RTCIceServer[]): PeerLike {
    const peer = this.#makePeer({ iceServers });
    this.#peer = peer;
    this.#awaitingOffer = false;
    peer.onicecandidate = (event) => {
      if (event.candidate && this.#peer === peer) this.#signals.sendMedia({ type: 'media_candidate', candidate: event.candidate.toJSON() });
    };
    peer.ontrack = (event) => {
      if (this.#peer === peer && event.streams[0]) this.#remoteStream(event.streams[0]);
    };
    peer.onconnectionstatechange = () => this.#connectionChanged(peer);
    return peer;
  }

  #closePeer(): void {
    const peer = this.#peer;
    this.#peer = null;
    this.#awaitingOffer = false;
    this.#negotiation = Promise.resolve();
    this.#muteSent = false;
    this.#remote.clear();
    if (peer) {
      peer.onicecandidate = peer.ontrack = peer.onconnectionstatechange = null;
      peer.close();
    }
  }

  #clearTimers(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    if (this.#disconnectTimer !== null) clearTimeout(this.#disconnectTimer);
    this.#retryTimer = this.#disconnectTimer = null;
  }

  /** Gives up on this connection and negotiates a new one after a growing wait. */
  #retry(): void {
    this.#clearTimers();
    this.#closePeer();
    this.#failures += 1;
    const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (this.#failures - 1));
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
    this.#update({ phase: 'reconnecting', remote: [] });
  }

  /** A new live socket: the server has no media for it yet, so media starts again now. */
  #synced(): void {
    if (this.#local !== null) this.#connect();
  }

  #frame(frame: ServerMediaFrame): void {
    const peer = this.#peer;
    switch (frame.type) {
      case 'media_offer':
        this.#offered(frame.sdp, frame.ice_servers ?? []);
        break;
      case 'media_candidate':
        // Candidates follow their offer on the chain, so each is added once the offer is answered.
        if (peer) this.#inTurn(peer, () => peer.addIceCandidate(frame.candidate).catch(() => {}));
        break;
      case 'media_error':
        this.#refused(frame.code);
        break;
    }
  }

  /**
   * The server's offer. The one answering a join gets a new peer connection built with the
   * offer's ICE servers; a later offer on the same connection brings fresh TURN credentials.
   */
  #offered(sdp: string, iceServers: RTCIceServer[]): void {
    if (this.#awaitingOffer) {
      const peer = this.#openPeer(iceServers);
      this.#inTurn(peer, () => this.#answer(peer, sdp));
      return;
    }
    const peer = this.#peer;
    if (peer === null) return;
    this.#inTurn(peer, async () => {
      peer.setConfiguration({ ...peer.getConfiguration(), iceServers });
      await this.#answer(peer, sdp);
    });
  }

  /** Runs a negotiation step after the ones before it; a step that fails starts media anew. */
  #inTurn(peer: PeerLike, step: () => Promise<void>): void {
    this.#negotiation = this.#negotiation
      .then(() => (this.#peer === peer ? step() : undefined))
      .catch(() => {
        if (this.#peer === peer) this.#retry();
      });
  }

  async #answer(peer: PeerLike, sdp: string): Promise<void> {
    await peer.setRemoteDescription({ type: 'offer', sdp });
    await this.#attachLocal(peer, sdp);
    const answer = await peer.createAnswer();
    await peer.setLocalDescription(answer);
    if (this.#peer !== peer) return;
    this.#signals.sendMedia({ type: 'media_answer', sdp: peer.localDescription?.sdp ?? answer.sdp ?? '' });
    if (!this.#muteSent) this.#sendMute();
  }

  /** Puts the microphone and camera on the offer's sections the server receives on, once each. */
  async #attachLocal(peer: PeerLike, sdp: string): Promise<void> {
    const local = this.#local;
    if (local === null) return;
    const receiving = receivingSections(sdp);
    const transceivers = peer.getTransceivers();
    for (const track of local.getTracks()) {
      if (transceivers.some((transceiver) => transceiver.sender.track === track)) continue;
      const free = transceivers.find(
        (transceiver) => transceiver.mid !== null && receiving.get(transceiver.mid) === track.kind && transceiver.sender.track === null,
      );
      if (!free) continue;
      free.direction = 'sendrecv';
      await free.sender.replaceTrack(track);
      free.sender.setStreams?.(local);
    }
  }

  #sendMute(): void {
    this.#muteSent = this.#signals.sendMedia({ type: 'media_mute', audio: this.#view.audio, video: this.#view.video });
  }

  #refused(code: string): void {
    if (this.#local === null) return;
    if (code === 'media_unavailable' || code === 'not_allowed') {
      this.leave();
      this.#update({ phase: 'unavailable', message: code === 'not_allowed' ? mediaMessages.notAllowed : mediaMessages.serverUnavailable });
      return;
    }
    // media_failed, or a frame the server could not use: start again from scratch.
    this.#retry();
  }

  #connectionChanged(peer: PeerLike): void {
    if (this.#peer !== peer) return;
    if (this.#disconnectTimer !== null) clearTimeout(this.#disconnectTimer);
    this.#disconnectTimer = null;
    switch (peer.connectionState) {
      case 'connected':
        this.#failures = 0;
        this.#update({ phase: 'connected' });
        break;
      case 'failed':
        this.#retry();
        break;
      case 'disconnected':
        this.#disconnectTimer = setTimeout(() => {
          if (this.#peer === peer && peer.connectionState === 'disconnected') this.#retry();
        }, DISCONNECTED_GRACE_MS);
        break;
    }
  }

  #remoteStream(stream: StreamLike): void {
    this.#remote.set(stream.id, stream);
    stream.onaddtrack = stream.onremovetrack = () => this.#showRemote();
    this.#showRemote();
  }

  #showRemote(): void {
    const remote = [...this.#remote.values()]
      .filter((stream) => stream.getTracks().length > 0)
      .map((stream) => ({ id: stream.id, role: roleOfStream(stream.id), stream, video: stream.getVideoTracks().length > 0 }));
    this.#update({ remote });
  }
}

/** A level from 0 (quieter than -60 dBFS) to 1 (full scale), from time-domain samples. */
export function levelOf(samples: Float32Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  const rms = Math.sqrt(sum / samples.length);
  if (rms <= 0) return 0;
  return Math.min(1, Math.max(0, (20 * Math.log10(rms) + 60) / 60));
}

/** Reads a microphone's level with an AnalyserNode; nothing is kept or sent anywhere. */
export interface LevelMeter {
  level(): number;
  close(): void;
}

export function levelMeter(stream: MediaStream): LevelMeter {
  const context = new AudioContext();
  const source = context.createMediaStreamSource(stream);
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  return {
    level() {
      analyser.getFloatTimeDomainData(samples);
      return levelOf(samples);
    },
    close() {
      source.disconnect();
      void context.close();
    },
  };
}
