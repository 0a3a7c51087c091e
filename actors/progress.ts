/**
 * Progress by XState inspection: an `inspect` callback (createActor's option, or the pool's)
 * that counts finished tasks (coordinators done), finished rollouts (rollout actors done) and
 * their tokens, and passes a snapshot to a listener at most every `intervalMs` of wall time.
 * Display only: nothing the engine outputs depends on it. Inspection roughly doubles the cost
 * of every event, so pass it only when a listener exists.
 */
import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { Dialogue } from '../engine/dialogue/dialogue.ts';
import { rolloutLogic } from './dialogue.ts';

export interface ProgressSnapshot {
  tasks: number;
  rollouts: number;
  /** Sum of the finished rollouts' token counts. */
  tokens: number;
  rolloutsPerSecond: number;
}

export interface ProgressInspector {
  inspect: (event: InspectionEvent) => void;
  /** Sends the current counts now, whatever the interval (at the end of a run). */
  flush: () => void;
}

/** The coordinator's machine id (actors/search.ts); a rollout is known by its logic (actors/dialogue.ts). */
const SEARCH = 'search';

export function progressInspector(listener: (p: ProgressSnapshot) => void, { intervalMs = 1000 }: { intervalMs?: number } = {}): ProgressInspector {
  const start = performance.now();
  let last = -Infinity;
  const counts = { tasks: 0, rollouts: 0, tokens: 0 };
  const flush = () => {
    const now = performance.now();
    last = now;
    const seconds = (now - start) / 1000;
    listener({ ...counts, rolloutsPerSecond: seconds > 0 ? counts.rollouts / seconds : 0 });
  };
  const inspect = (event: InspectionEvent) => {
    if (event.type !== '@xstate.snapshot') return;
    const snapshot = event.snapshot as { status: string; output?: unknown; machine?: { id: string } };
    if (snapshot.status !== 'done') return;
    if ((event.actorRef as AnyActorRef & { logic?: unknown }).logic === rolloutLogic) {
      counts.rollouts++;
      counts.tokens += (snapshot.output as Dialogue).tokenCount;
    } else if (snapshot.machine?.id === SEARCH) {
      counts.tasks++;
    } else {
      return;
    }
    if (performance.now() - last >= intervalMs) flush();
  };
  return { inspect, flush };
}
