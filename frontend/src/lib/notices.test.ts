import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NOTICES_URL, NoticeStream, REOPEN_AFTER_MS, type EventSourceLike, type PageVisibility } from './notices';

/** An EventSource the test drives: it emits what the server would send. */
class FakeSource implements EventSourceLike {
  readyState = 0;
  closed = false;
  readonly listeners = new Map<string, ((event: MessageEvent) => void)[]>();
  constructor(readonly url: string) {}
  addEventListener(type: string, listener: (event: MessageEvent) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  emit(type: string, data = JSON.stringify({ type })): void {
    if (type !== 'error') this.readyState = 1;
    for (const listener of this.listeners.get(type) ?? []) listener(new MessageEvent(type, { data }));
  }
}

/** A tab the test shows and hides. */
class FakePage implements PageVisibility {
  isHidden = false;
  readonly listeners = new Set<() => void>();
  hidden(): boolean {
    return this.isHidden;
  }
  subscribe(onChange: () => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }
  set(hidden: boolean): void {
    this.isHidden = hidden;
    for (const listener of this.listeners) listener();
  }
}

function harness() {
  const sources: FakeSource[] = [];
  const page = new FakePage();
  const stream = new NoticeStream({
    open: (url) => {
      const source = new FakeSource(url);
      sources.push(source);
      return source;
    },
    page,
  });
  return { stream, sources, page, latest: () => sources[sources.length - 1] };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('notice stream', () => {
  it('opens one stream for every subscriber of the tab and closes it after the last', () => {
    const { stream, sources } = harness();
    const handlers = { notice: vi.fn(), reread: vi.fn() };
    const stopToday = stream.subscribe(['live_session_started'], handlers);
    const stopLinks = stream.subscribe(['assignment_assigned'], handlers);
    expect(sources).toHaveLength(1);
    expect(sources[0].url).toBe(NOTICES_URL);
    stopToday();
    expect(sources[0].closed).toBe(false);
    stopLinks();
    expect(sources[0].closed).toBe(true);
  });

  it('tells each subscriber only the notices of its types, with their ids', () => {
    const { stream, latest } = harness();
    const live = { notice: vi.fn(), reread: vi.fn() };
    const work = { notice: vi.fn(), reread: vi.fn() };
    stream.subscribe(['live_session_started', 'live_session_ended'], live);
    stream.subscribe(['assignment_assigned', 'commitment_confirmed'], work);
    latest().emit('ready');
    latest().emit('live_session_started', JSON.stringify({ type: 'live_session_started', couple_id: 3, live_session_id: 9 }));
    latest().emit('commitment_confirmed', JSON.stringify({ type: 'commitment_confirmed', couple_id: 3, commitment_id: 4 }));
    latest().emit('assignment_reviewed', 'not json');
    expect(live.notice.mock.calls).toEqual([[{ type: 'live_session_started', couple_id: 3, live_session_id: 9 }]]);
    expect(work.notice.mock.calls).toEqual([[{ type: 'commitment_confirmed', couple_id: 3, commitment_id: 4 }]]);
    expect(live.reread).not.toHaveBeenCalled();
  });

  it('asks every subscriber to re-read after a reconnect and when the server lost notices, not on first open', () => {
    const { stream, latest } = harness();
    const handlers = { notice: vi.fn(), reread: vi.fn() };
    stream.subscribe(['live_session_started'], handlers);
    latest().emit('ready');
    expect(handlers.reread).not.toHaveBeenCalled();
    latest().emit('error'); // a dropped connection: the browser reconnects by itself
    latest().emit('ready');
    expect(handlers.reread).toHaveBeenCalledTimes(1);
    latest().emit('resync');
    expect(handlers.reread).toHaveBeenCalledTimes(2);
  });

  it('opens a refused stream again later while someone still listens, and re-reads then', async () => {
    const { stream, sources, latest } = harness();
    const handlers = { notice: vi.fn(), reread: vi.fn() };
    const stop = stream.subscribe(['live_session_ended'], handlers);
    latest().emit('ready');
    latest().close(); // the browser gave up: the answer was an error status
    latest().emit('error');
    await vi.advanceTimersByTimeAsync(REOPEN_AFTER_MS - 1);
    expect(sources).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sources).toHaveLength(2);
    latest().emit('ready');
    expect(handlers.reread).toHaveBeenCalledTimes(1);

    latest().close();
    latest().emit('error');
    stop();
    await vi.advanceTimersByTimeAsync(REOPEN_AFTER_MS);
    expect(sources).toHaveLength(2);
  });

  it('closes the stream while the tab is hidden and re-reads when it is shown again', () => {
    const { stream, sources, page, latest } = harness();
    const handlers = { notice: vi.fn(), reread: vi.fn() };
    const stop = stream.subscribe(['live_session_started'], handlers);
    latest().emit('ready');
    page.set(true);
    expect(latest().closed).toBe(true);
    stream.subscribe(['assignment_assigned'], { notice: vi.fn(), reread: vi.fn() });
    expect(sources).toHaveLength(1);
    page.set(false);
    expect(sources).toHaveLength(2);
    latest().emit('ready');
    expect(handlers.reread).toHaveBeenCalledTimes(1);
    stop();
    expect(page.listeners.size).toBe(1);
  });
});
