// The one polling wait of the tests: checks a condition until it holds or the
// time is up, then fails naming what was awaited. Tests wait for a state, never
// for a fixed time, so a slow CI machine only makes them slower, not red.

/** Resolves once `cond` holds; rejects after `ms` naming `what`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
