// Replays the floor's golden event sequences, written by realtime/apply_golden_test.go from the
// Go Apply, through applyEvent: the web app must fold every event into the state the server does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LiveEvent, LiveState } from './api';
import { applyEvent } from './live';

interface GoldenSequence {
  name: string;
  start: LiveState;
  steps: { event: LiveEvent; state: LiveState }[];
}

const golden: GoldenSequence[] = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../../realtime/testdata/apply.golden.json'), 'utf8'),
);

/** The state as JSON carries it: fields left undefined are absent, as Go leaves them out. */
function wire(s: LiveState): unknown {
  return JSON.parse(JSON.stringify(s));
}

describe('applyEvent follows the server’s Apply', () => {
  it('has sequences to replay', () => {
    expect(golden.length).toBeGreaterThan(0);
  });

  for (const sequence of golden) {
    it(sequence.name, () => {
      let state = sequence.start;
      for (const { event, state: want } of sequence.steps) {
        state = applyEvent(state, event);
        expect(wire(state), `after event ${event.seq} (${event.type})`).toEqual(want);
      }
    });
  }
});
