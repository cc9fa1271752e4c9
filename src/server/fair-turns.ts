/**
 * Turns: Node has one thread, so a connection whose requests are cheap and many (3,000 pipelined
 * DescribeConfigs: a second of handler work) would hold every other connection back if it decoded
 * and ran them all at once. Each time the connection is entered from outside (bytes arrived, a
 * request finished, the socket drained) it may start requests for FAIR_TURN_MS; then it pauses
 * and continues in a later turn of the event loop (setImmediate), after the other connections'
 * I/O callbacks. A request's own work is not cut; only no further one starts in that turn.
 *
 * The bookkeeping of one connection's turns: entries from outside nest (the outermost one starts
 * a turn), and `usedUp()` schedules the continuation once when the turn's time is spent.
 */

/**
 * Synchronous request work (decode, handlers that answer at once, encode) one connection may do
 * per turn of the event loop before it lets other connections run.
 */
export const FAIR_TURN_MS = 4;

export class FairTurns {
  /** Nesting of outside entries into the connection; the outermost one starts a turn. */
  private entries = 0;
  /** performance.now() when the current turn began. */
  private startedAt = 0;
  /** A continuation is scheduled: the turn was used up, nothing starts until it runs. */
  private yielded = false;
  /** Runs the continuation (allocated once, not per yield). */
  private readonly next: () => void;

  /** `continueTurn` runs in the next turn after one was used up; it enters the connection itself. */
  constructor(continueTurn: () => void) {
    this.next = () => {
      this.yielded = false;
      continueTurn();
    };
  }

  /** Marks an entry from outside; the outermost one starts a new turn. */
  enter(): void {
    if (this.entries++ === 0) this.startedAt = performance.now();
  }

  exit(): void {
    this.entries--;
  }

  /**
   * True when this turn is used up: the continuation is scheduled (once) and the caller starts
   * nothing more now.
   */
  usedUp(): boolean {
    if (this.yielded) return true;
    if (performance.now() - this.startedAt < FAIR_TURN_MS) return false;
    this.yielded = true;
    setImmediate(this.next);
    return true;
  }
}
