// Session ids: unique per connection, short, sortable by time. The listener takes
// one when it decides about a connection before the session exists (connection
// limits), so that decision's log line and the session's share it.

import { randomBytes } from 'node:crypto';

let counter = 0;

export function newSessionId(): string {
  return `${Date.now().toString(36)}${(++counter).toString(36)}${randomBytes(2).toString('hex')}`;
}
