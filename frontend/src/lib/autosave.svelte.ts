// Saves a draft a short while after the last change, one save at a time, always the newest
// text, and says where things stand so the page can show "Saving…" and "Saved".

export type SaveState = 'idle' | 'pending' | 'saving' | 'saved' | 'error';

export interface AutosaveOptions<T> {
  save: (value: T) => Promise<unknown>;
  /** How long to wait after the last change before saving, in milliseconds. */
  delay?: number;
  /** Turns a failed save into words for the person writing. */
  describeError?: (error: unknown) => string;
}

export class Autosave<T> {
  state = $state<SaveState>('idle');
  /** When the last save finished, for "Saved at 14:02". */
  savedAt = $state<Date | null>(null);
  error = $state('');

  readonly #save: (value: T) => Promise<unknown>;
  readonly #delay: number;
  readonly #describe: (error: unknown) => string;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #waiting: { value: T } | null = null;
  #running: Promise<boolean> | null = null;

  constructor(options: AutosaveOptions<T>) {
    this.#save = options.save;
    this.#delay = options.delay ?? 1200;
    this.#describe = options.describeError ?? (() => 'Your latest changes are not saved yet.');
  }

  /** Notes a change; it is saved once the writer pauses for the delay. */
  change(value: T): void {
    this.#waiting = { value };
    this.state = 'pending';
    this.#clearTimer();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, this.#delay);
  }

  /**
   * Saves any waiting change now. Resolves true once everything written so far is saved, false
   * when a save failed (the change stays waiting and the next change or flush tries it again).
   */
  async flush(): Promise<boolean> {
    this.#clearTimer();
    while (this.#running || this.#waiting) {
      if (this.#running) {
        await this.#running;
        continue;
      }
      const { value } = this.#waiting!;
      this.#waiting = null;
      this.#running = this.#run(value);
      const saved = await this.#running;
      this.#running = null;
      if (!saved) {
        this.#waiting ??= { value };
        return false;
      }
    }
    return this.state !== 'error';
  }

  /** Forgets a waiting change without saving it (the page is going away after a submit). */
  cancel(): void {
    this.#clearTimer();
    this.#waiting = null;
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #run(value: T): Promise<boolean> {
    this.state = 'saving';
    try {
      await this.#save(value);
      this.savedAt = new Date();
      this.error = '';
      this.state = this.#waiting ? 'pending' : 'saved';
      return true;
    } catch (caught) {
      this.error = this.#describe(caught);
      this.state = 'error';
      return false;
    }
  }
}
