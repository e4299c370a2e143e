// Q3 the `discard` transport (Postfix discard(8)): every recipient counts as
// delivered and the message goes nowhere; one log line per message says so.

import type { Logger } from '../log/logger.js';
import type { Transport } from './types.js';

export function createDiscardTransport(deps: { log: Logger }): Transport {
  return {
    async deliver(msg, rcpts, channel) {
      deps.log.info({ event: 'discarded', queueId: msg.id, channel: channel.name, rcpts: rcpts.map((r) => r.address), size: msg.size }, 'message discarded by channel');
      return rcpts.map((r) => ({ index: r.index, outcome: 'delivered' as const, status: '2.0.0', diagnostic: `discarded by channel ${channel.name}` }));
    },
    async close() {},
  };
}
