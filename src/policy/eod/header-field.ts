// Adds a whole header field ("Name: value\r\n", possibly folded, as the sender-auth
// builders write them) through MessageView.addHeader, which takes name and value.

import type { MessageView } from '../../core/message-view.js';

export function addField(message: MessageView, field: string): void {
  const colon = field.indexOf(':');
  if (colon <= 0) throw new Error(`not a header field: ${JSON.stringify(field.slice(0, 40))}`);
  message.addHeader(field.slice(0, colon), field.slice(colon + 1).replace(/^[ \t]+/, '').replace(/\r\n$/, ''));
}
