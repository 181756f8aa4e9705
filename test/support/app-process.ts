/**
 * The App as `npm start` runs it, for tests that kill it: with RELEASE_GATE_CRASH_AT set,
 * the process SIGKILLs itself right after the chosen step of a decision has been written
 * (`after-claim`: the delivery claimed; `after-gate-row`: the gate stored; `after-decision`:
 * the decision stored). Only this test process reads that variable.
 */
import process from 'node:process';
import { start } from '../../src/app/start.js';
import type { Store } from '../../src/store/types.js';

const CRASH_AFTER: Record<string, { method: keyof Store; when: (result: unknown) => boolean }> = {
  'after-claim': { method: 'claimInboxDelivery', when: (r) => r !== null },
  'after-gate-row': { method: 'upsertPendingGate', when: () => true },
  'after-decision': {
    method: 'writeDecision',
    when: (r) => (r as { decided?: { decided?: boolean } | null }).decided?.decided === true,
  },
};

function crashing(store: Store, step: string): Store {
  const crash = CRASH_AFTER[step];
  if (!crash)
    throw new Error(`RELEASE_GATE_CRASH_AT=${step} is not a step: use ${Object.keys(CRASH_AFTER).join(', ')}`);
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (prop !== crash.method) return (value as (...a: unknown[]) => unknown).bind(target);
      return async (...args: unknown[]) => {
        const result = (await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)) as unknown;
        if (crash.when(result)) {
          process.stderr.write(`crashing ${step}\n`);
          process.kill(process.pid, 'SIGKILL');
          await new Promise(() => {});
        }
        return result;
      };
    },
  });
}

const step = process.env.RELEASE_GATE_CRASH_AT;
start(process.env, process.cwd(), step ? { wrapStore: (store) => crashing(store, step) } : {}).catch(
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
