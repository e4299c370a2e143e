// Runs the checks of one stage in their fixed order; the first verdict wins.
// A check that throws or takes too long answers 451 4.3.0 naming itself (finalize()
// sends it as 421 at connect): our fault (a store, DNS or code problem), so it never
// counts against the client.

import { localFailure, type Decision } from '../core/decision.js';
import { finalize } from './finalize.js';
import type { Check, CheckContext, Stage } from './types.js';

export const CHECK_TIMEOUT_MS = 30000;

/**
 * Told about every check the runner runs (the policy simulator, `rampart check`):
 * its verdict (undefined: no opinion) and what finalize() made of it (undefined:
 * not enforced, e.g. warn mode, and the stage goes on).
 */
export type CheckObserver = (stage: Stage, check: string, verdict: Decision | undefined, enforced: Decision | undefined) => void;

export class PolicyRunner {
  constructor(
    private readonly checks: Readonly<Record<Stage, readonly Check[]>>,
    private readonly timeoutMs = CHECK_TIMEOUT_MS,
    private readonly observer?: CheckObserver,
  ) {}

  /** Returns the decision that ends the stage, or undefined when every check passed. */
  async run(ctx: CheckContext): Promise<Decision | undefined> {
    for (const check of this.checks[ctx.stage]) {
      let verdict;
      try {
        verdict = await this.runOne(check, ctx);
      } catch (e) {
        ctx.deps.log.error({ check: check.name, err: (e as Error).message }, 'check failed');
        verdict = localFailure(check.name, 451, '4.3.0', 'Temporary local problem, please try again later', `check failed: ${(e as Error).message}`, check.feature);
      }
      if (verdict) {
        // `?? check.feature`, not a spread default: reject() etc. set `feature: undefined`.
        const d = finalize({ ...verdict, feature: verdict.feature ?? check.feature }, ctx);
        this.observer?.(ctx.stage, check.name, verdict, d);
        if (d) return d;
      } else this.observer?.(ctx.stage, check.name, undefined, undefined);
    }
    return undefined;
  }

  private runOne(check: Check, ctx: CheckContext) {
    const result = check.run(ctx);
    if (!(result instanceof Promise)) return result; // synchronous checks cost no timer
    let timer: NodeJS.Timeout;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([result, timeout]).finally(() => clearTimeout(timer));
  }
}
