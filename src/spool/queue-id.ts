// Queue ids: sortable by time, unique across restarts and processes.

import { randomHex } from '../core/random-hex.js';

let seq = 0;

export function newQueueId(now = Date.now()): string {
  seq = (seq + 1) % 1679616; // 36^4
  return now.toString(36).toUpperCase().padStart(9, '0') + seq.toString(36).toUpperCase().padStart(4, '0') + randomHex(3).toUpperCase();
}

export const QUEUE_ID = /^[0-9A-Z]{13}[0-9A-F]{6}$/;
