// The policy side of an SMTP session: everything smtp/ asks of policy, behind
// the one SessionPolicy interface (policy/types.ts). Stage checks run in the
// runner; guards (pregreet, H5, S1-S4, the intake's refusals) decide through the
// same finalize(). One instance per server, created in main.ts with the deps.

import type { Decision } from '../core/decision.js';
import type { Address } from '../core/address.js';
import type { Envelope, SessionInfo } from '../core/envelope.js';
import { markHeader, type Mark } from '../core/mark.js';
import type { MessageView } from '../core/message-view.js';
import type { Listener, Snapshot } from '../config/load.js';
import { finalize, finalizeMark, inWarnMode } from './finalize.js';
import type { PolicyRunner } from './runner.js';
import type { GuardInput, LmsKey, MessageSizeGuard, PolicyDeps, SessionPolicy, Stage, StageInput } from './types.js';
import { pregreetDrop, pregreetWait, rememberPregreetPass } from './connect/pregreet.js';
import { alreadyWarned, maxFailedCommandsDrop, rememberWarned } from './session/max-failed-commands.js';
import { SizeGuard, guardPlan } from './size-guard.js';
import { LmsKeyBuilder, lmsSettings, rememberLms } from './lms.js';
import { spoolAddress } from './rcpt/recipient-domain.js';
import { advertisedSize } from './size-limits.js';

export class PolicyEngine implements SessionPolicy {
  constructor(
    private readonly runner: PolicyRunner,
    readonly deps: PolicyDeps,
  ) {}

  check(stage: Stage, input: StageInput): Promise<Decision | undefined> {
    const scope = { stage, config: input.config, session: input.session, envelope: input.envelope, queueId: input.queueId, deps: this.deps };
    return this.runner.run({ ...scope, rcpt: input.rcpt, message: input.message, mark: this.markSink(input.envelope, scope, input.message) });
  }

  /**
   * ctx.mark: keeps the mark on the envelope (headers after Received, score for eod) and finalizes it.
   * At end of data the Received block is written already: the header goes on top (addHeader).
   */
  private markSink(env: Envelope | undefined, scope: Omit<GuardInput, 'stage'> & { stage: Stage; deps: PolicyDeps }, message?: MessageView): ((m: Mark) => void) | undefined {
    if (!env) return undefined;
    return (m: Mark) => {
      (env.marks ??= []).push(m);
      const h = message && markHeader(m);
      if (h) message.addHeader(h.name, h.value);
      finalizeMark(m, scope);
    };
  }

  decide(d: Decision, where: GuardInput): Decision | undefined {
    return finalize(d, { ...where, deps: this.deps });
  }

  pregreetWait(config: Snapshot, session: SessionInfo): Promise<number> {
    return pregreetWait(config, session, this.deps);
  }

  pregreetResult(config: Snapshot, session: SessionInfo, talkedEarly: boolean): Decision | undefined {
    if (!talkedEarly) {
      rememberPregreetPass(config, session, this.deps);
      return undefined;
    }
    return this.decide(pregreetDrop(session.listener.pregreetWaitMs), { stage: 'connect', config, session });
  }

  failedCommands(config: Snapshot, session: SessionInfo, failures: number, envelope: Envelope | undefined): Decision | undefined {
    const d = maxFailedCommandsDrop(config, failures);
    if (!d || alreadyWarned(session)) return undefined;
    const enforced = this.decide(d, { stage: 'session', config, session, envelope });
    if (!enforced) rememberWarned(session); // warn mode: one log line per session, no disconnect, no abuse report
    return enforced;
  }

  sizeGuard(config: Snapshot, session: SessionInfo, envelope: Envelope): MessageSizeGuard {
    const where: GuardInput = { stage: 'data', config, session, envelope };
    const deps = this.deps;
    return new SizeGuard(guardPlan(config, session, envelope, deps.directory), {
      decide: (d) => this.decide(d, d.check === 'data.largeMessageSafety' ? where : { ...where, stage: 'eod' }),
      warns: (check) => inWarnMode(check, where),
      remember: (bytes) => {
        const key = envelope.lms?.key();
        if (!key) return Promise.resolve(false);
        const rec = { at: Date.now(), ip: session.remoteAddress, bytes, session: session.id };
        return rememberLms(deps.store, key, rec, lmsSettings(config, session.listener).keyTtlMs).then(
          () => true,
          (e: Error) => {
            deps.log.error({ session: session.id, check: 'data.largeMessageSafety', err: e.message }, 'S4: cannot store the key');
            return false;
          },
        );
      },
    });
  }

  /** S4: the key's parts as limits.largeMessageSafety.keyParts chooses (default the Mailtraq key: HELO, MAIL, RCPT). */
  lmsKey(config: Snapshot, session: SessionInfo, mailArg: string): LmsKey {
    return new LmsKeyBuilder(session.remoteAddress, session.helo ?? '', mailArg, config.limits.largeMessageSafety.keyParts);
  }

  spoolAddress(address: Address, config: Snapshot): string {
    return spoolAddress(address, config);
  }

  advertisedSize(config: Snapshot, listener: Listener): number {
    return advertisedSize(config, listener).bytes;
  }
}
