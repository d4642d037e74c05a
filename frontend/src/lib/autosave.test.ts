import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Autosave } from './autosave.svelte';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('autosave', () => {
  it('waits for a pause in typing, then saves only the newest text once', async () => {
    const save = vi.fn().mockResolvedValue(undefined);
    const draft = new Autosave<string>({ save, delay: 1000 });

    draft.change('I');
    await vi.advanceTimersByTimeAsync(500);
    draft.change('I am');
    await vi.advanceTimersByTimeAsync(500);
    draft.change('I am sorry');
    expect(draft.state).toBe('pending');
    expect(save).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(1000);

    expect(save).toHaveBeenCalledTimes(1);
    expect(save).toHaveBeenCalledWith('I am sorry');
    expect(draft.state).toBe('saved');
    expect(draft.savedAt).toBeInstanceOf(Date);
  });

  it('never runs two saves at once, and saves what was typed during a slow save afterwards', async () => {
    const first = deferred();
    const save = vi.fn().mockReturnValueOnce(first.promise).mockResolvedValue(undefined);
    const draft = new Autosave<string>({ save, delay: 100 });

    draft.change('one');
    await vi.advanceTimersByTimeAsync(100);
    expect(draft.state).toBe('saving');
    draft.change('one two');
    await vi.advanceTimersByTimeAsync(100);
    expect(save).toHaveBeenCalledTimes(1);

    first.resolve();
    await vi.runAllTimersAsync();

    expect(save.mock.calls).toEqual([['one'], ['one two']]);
    expect(draft.state).toBe('saved');
  });

  it('says when a save failed and keeps the text to try again', async () => {
    const save = vi.fn().mockRejectedValueOnce(new Error('offline')).mockResolvedValue(undefined);
    const draft = new Autosave<string>({ save, delay: 100, describeError: () => 'Not saved: you seem to be offline.' });

    draft.change('words');
    await vi.advanceTimersByTimeAsync(100);
    expect(draft.state).toBe('error');
    expect(draft.error).toBe('Not saved: you seem to be offline.');

    expect(await draft.flush()).toBe(true);
    expect(save.mock.calls).toEqual([['words'], ['words']]);
    expect(draft.state).toBe('saved');
    expect(draft.error).toBe('');
  });

  it('saves at once when asked, without waiting for the pause', async () => {
    const save = vi.fn().mockResolvedValue(undefined);
    const draft = new Autosave<string>({ save, delay: 10_000 });

    draft.change('before leaving');
    expect(await draft.flush()).toBe(true);

    expect(save).toHaveBeenCalledWith('before leaving');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(save).toHaveBeenCalledTimes(1);
  });
});
