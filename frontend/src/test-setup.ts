import '@testing-library/jest-dom/vitest';

// jsdom lays nothing out, so it has no scrolling; the router scrolls to the top on navigation.
window.scrollTo = () => {};

// jsdom has no EventSource; screens open the notice stream when they mount. This stand-in never
// connects and never fires: tests of the stream itself hand in their own fake.
class QuietEventSource {
  readonly readyState = 0;
  addEventListener(): void {}
  close(): void {}
}
globalThis.EventSource ??= QuietEventSource as unknown as typeof EventSource;

// jsdom lays nothing out, so sizes never change and it has no ResizeObserver; elements that
// follow their width (a chart drawn as wide as its box) keep their default size in tests.
class StillResizeObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
globalThis.ResizeObserver ??= StillResizeObserver as unknown as typeof ResizeObserver;
