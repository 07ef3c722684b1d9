// A storage node registering itself with a coordinator once it serves
// (docs/architecture.md#deployment). The coordinator answers a node it already knows at the same
// address with success and no migration, so every start registers again: a restart changes
// nothing, a new node starts its node_addition. Transient failures (no coordinator yet, another
// migration running) are retried with capped exponential backoff until the node stops; a
// refusal that no retry can change (another node holds the id, a bad field) stops the attempts
// and is reported, and the node stays unready.

/** What registration has come to; `registered` and `off` leave readiness to the rest. */
export type RegistrationState = 'off' | 'registering' | 'registered' | 'refused';

export interface RegistrationOutcome {
  /** Empty when no data moves (the node was known, or the cluster held no data). */
  readonly migrationId: string;
  readonly alreadyRegistered: boolean;
}

export interface SelfRegistrationOptions {
  /** One attempt: resolves when the coordinator accepted the node, throws otherwise. */
  register: () => Promise<RegistrationOutcome>;
  /** A failure no repeat can change: stop trying. */
  isRefusal: (error: unknown) => boolean;
  /** Pause after the first failure; doubles after each further one. */
  backoffInitialMs: number;
  /** Longest pause. */
  backoffMaxMs: number;
  /** Waits `ms` or until `signal` aborts, whichever is first; never rejects. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Uniform in [0, 1): the jitter that keeps nodes restarted together apart. */
  random?: () => number;
  onRegistered?: (outcome: RegistrationOutcome, attempts: number) => void;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  onRefused?: (error: unknown) => void;
}

/**
 * Pause before attempt `failures + 1`: half the capped exponential delay plus a random half
 * ("equal jitter"), so it never drops below half the schedule yet spreads nodes out.
 */
export function backoffDelayMs(
  failures: number,
  initialMs: number,
  maxMs: number,
  random: number,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

export class SelfRegistration {
  private current: RegistrationState = 'registering';
  private refusal: string | undefined;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly options: SelfRegistrationOptions) {}

  get state(): RegistrationState {
    return this.current;
  }

  /** What the readiness check shows. */
  describe(): string {
    return this.current === 'refused' ? `refused: ${this.refusal}` : this.current;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Resolves when the attempts end: registered, refused or stopped. */
  async settled(): Promise<void> {
    await this.loop;
  }

  /** Ends the attempts (the node is stopping); resolves once the loop has returned. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const random = this.options.random ?? Math.random;
    for (let attempt = 1; !this.abort.signal.aborted; attempt++) {
      try {
        const outcome = await this.options.register();
        this.current = 'registered';
        this.options.onRegistered?.(outcome, attempt);
        return;
      } catch (error) {
        if (this.abort.signal.aborted) return;
        if (this.options.isRefusal(error)) {
          this.current = 'refused';
          this.refusal = (error as Error).message;
          this.options.onRefused?.(error);
          return;
        }
        const delayMs = backoffDelayMs(
          attempt,
          this.options.backoffInitialMs,
          this.options.backoffMaxMs,
          random(),
        );
        this.options.onRetry?.(error, attempt, delayMs);
        await this.options.sleep(delayMs, this.abort.signal);
      }
    }
  }
}
