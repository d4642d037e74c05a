// Stand-ins for a WebSocket and the browser's online state, for tests of the live client and
// the screens built on it.
import type { LiveState } from './api';
import type { NetworkWatch, SocketLike } from './live';

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
