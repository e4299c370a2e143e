// A8 DKIM signing before queueing: mail from authenticated clients
// (senderAuth.signing.enabled) and mail relayed from the LAN (signing.lanRelay) is
// signed with the active key of its From domain (rampart dkim generate), if it has
// one. The signature covers the message as stored (ctx.message.stream(): our
// Received field and the client's message after cleanup; fields added at eod are
// not signed) and goes on top with addHeader, so it is stored durably with the
// message. Header fields per RFC 6376 5.4, From oversigned (src/dkim/sign.ts).
// An authenticated client gets a signature only for its own domain: the From domain
// must be the domain of the account, so one hosted domain's user never obtains
// another hosted domain's signature. A signing error is our fault: 451 4.3.0 (runner).

import type { Verdict } from '../../core/decision.js';
import { fromDomain } from '../../dkim/from-domain.js';
import { dkimSignature } from '../../dkim/sign.js';
import { SigningKeys } from '../../dkim/signing-keys.js';
import { isLan } from '../networks.js';
import type { Check, CheckContext } from '../types.js';
import { addField } from './header-field.js';

const NAME = 'eod.dkimSign';
const keysByDataDir = new Map<string, SigningKeys>();

function keys(dataDir: string): SigningKeys {
  let k = keysByDataDir.get(dataDir);
  if (!k) keysByDataDir.set(dataDir, (k = new SigningKeys(dataDir)));
  return k;
}

export const dkimSign: Check = {
  name: NAME,
  feature: 'A8',
  async run(ctx: CheckContext): Promise<Verdict> {
    const message = ctx.message;
    const s = ctx.config.senderAuth.signing;
    const user = ctx.session.authUser;
    if (!message || !s.enabled || !(user !== undefined || (s.lanRelay && isLan(ctx.session.remoteAddress, ctx.config)))) return undefined;
    const keyStore = keys(ctx.config.dataDir);
    if (!keyStore.anyKeys()) return undefined; // no key at all: the header block is not even parsed
    const from = (await message.headers()).find((h) => h.name.toLowerCase() === 'from');
    const domain = from && fromDomain(from.value);
    if (!domain) return undefined;
    const key = keyStore.get(domain);
    if (!key) return undefined;
    if (user !== undefined && user.slice(user.lastIndexOf('@') + 1).toLowerCase() !== domain) {
      ctx.deps.log.info({ event: 'dkim-sign', session: ctx.session.id, queueId: ctx.queueId, check: NAME, authUser: user, fromDomain: domain }, 'not signed: the From domain is not the account\'s domain');
      return undefined;
    }
    addField(message, await dkimSignature(message.stream(), key, { now: new Date(ctx.deps.now()) }));
    return undefined;
  },
};
