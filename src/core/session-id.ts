// Session ids: unique per connection, short, sortable by time. The listener takes
// one when it decides about a connection before the session exists (connection
// limits), so that decision's log line and the session's share it.

import { randomHex } from './random-hex.js';

let counter = 0;

export function newSessionId(): string {
  return `${Date.now().toString(36)}${(++counter).toString(36)}${randomHex(2)}`;
}
