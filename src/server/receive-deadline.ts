/**
 * runnel.request.receive.timeout.ms for one connection (server/connection.ts): a frame that has
 * started arriving must be complete within it — a deadline for the whole frame, not for each byte,
 * so a client cannot hold a frame's memory reservation by trickling it. The connection says when
 * the deadline is due: not while the frame waits for memory (we stopped reading; it restarts when
 * we read on), still while reading is paused because the client leaves its responses unread (the
 * client's doing). A connection between frames has no deadline (connections.max.idle.ms applies).
 *
 * One timer per connection, re-armed with refresh() (no timer allocated per request); disarming
 * only forgets the frame, and a timer that fires disarmed does nothing: `onExpired` gets the frame
 * number the deadline was for (-1 when disarmed), and the connection checks it is still receiving
 * that frame.
 */
export class ReceiveDeadline {
  private timer: NodeJS.Timeout | null = null;
  /** The frame (the connection's frame count when it started) whose deadline runs, or -1. */
  private frame = -1;

  constructor(
    readonly timeoutMs: number,
    private readonly onExpired: (frame: number) => void,
  ) {}

  /** Runs the deadline of frame `frameNo` when `due`, else forgets it; the same frame keeps its deadline. */
  arm(due: boolean, frameNo: number): void {
    if (!due || this.timeoutMs <= 0) {
      this.frame = -1;
      return;
    }
    if (this.frame === frameNo) return;
    this.frame = frameNo;
    if (this.timer) this.timer.refresh();
    else {
      this.timer = setTimeout(() => this.onExpired(this.frame), this.timeoutMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
