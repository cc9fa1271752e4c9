/**
 * Attacker priority.
 *
 * The attacks run on the same two cores as the broker: building and sending hundreds of MB, or
 * closing 10,000 sockets, takes CPU the broker and the canary then wait for, and the canary
 * would blame the broker for the attacker's own work. While an attack runs, the test's main
 * thread (the attacker, and the kafkajs pair) is niced; the broker child and the canary thread
 * keep normal priority. Linux nices threads one by one, and a child or thread inherits the nice
 * value of the thread that creates it, so brokers and canaries are created at normal priority.
 * Only root may lower a nice value again, so elsewhere the attacker keeps normal priority.
 */
import { setPriority } from 'node:os';

const ATTACKER_NICE = 10;
const CAN_RENICE = process.platform === 'linux' && process.getuid?.() === 0;
let attackerNiced = false;

/** Nices (true) or restores (false) the calling thread: the attacker, during an attack. */
export function niceAttacker(on: boolean): void {
  if (!CAN_RENICE || attackerNiced === on) return;
  try {
    setPriority(0, on ? ATTACKER_NICE : 0);
    attackerNiced = on;
  } catch {
    // not permitted here: the attack runs at normal priority
  }
}

/** Runs `create` (which spawns a process or a thread) at normal priority, so it inherits that. */
export function atNormalPriority<T>(create: () => T): T {
  const was = attackerNiced;
  niceAttacker(false);
  try {
    return create();
  } finally {
    niceAttacker(was);
  }
}
