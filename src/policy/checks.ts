// The fixed, documented order of checks per stage. Admins change settings, not
// this list: the relay check cannot be removed.

import type { Check, Stage } from './types.js';
import { relay } from './rcpt/relay.js';
import { localRecipient } from './rcpt/local-recipient.js';

export const builtinChecks: Readonly<Record<Stage, readonly Check[]>> = {
  connect: [],
  helo: [],
  mail: [],
  rcpt: [relay, localRecipient],
  data: [],
  eod: [],
};
