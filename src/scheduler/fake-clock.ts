// A Clock for tests: time moves only when the test advances it, and due timers fire then.

import type { Clock } from './scheduler.js';

export class FakeClock implements Clock {
  t = 1_000_000;
  timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  now = () => this.t;

  setTimeout(fn: () => void, ms: number) {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }

  advance(ms: number) {
    this.t += ms;
    // A copy: a timer that fires may schedule new ones.
    for (const tm of [...this.timers]) {
      if (tm.live && tm.at <= this.t) {
        tm.live = false;
        tm.fn();
      }
    }
  }
}
