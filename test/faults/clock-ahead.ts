/**
 * A clock the crash tests control in a `floe` child process: {@link floe} preloads this module
 * (`node --import tsx --import …/clock-ahead.ts`) when the test sets {@link CLOCK_AHEAD_VARIABLE},
 * and the process's `Date.now()`, `new Date()` and `Date()` then read that many milliseconds ahead
 * of the machine's clock. So a test can run floe "after" a lease expired without waiting for it,
 * and without racing the expiry on a slow machine. Dates built from a value are left as they are,
 * and so is every other process (the extraction job, the databases).
 */
export const CLOCK_AHEAD_VARIABLE = 'FLOE_TEST_CLOCK_AHEAD_MS';

const text = process.env[CLOCK_AHEAD_VARIABLE];
if (text !== undefined && text !== '') {
  const ahead = Number(text);
  if (!Number.isSafeInteger(ahead)) throw new Error(`${CLOCK_AHEAD_VARIABLE} must be a whole number of milliseconds, got ${JSON.stringify(text)}`);
  const RealDate = Date;
  const now = (): number => RealDate.now() + ahead;
  // A proxy, not a subclass: a Date made by native code (a driver's) is still `instanceof Date`.
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args: unknown[], newTarget: (...a: unknown[]) => unknown) => Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget) as object,
    apply: () => new RealDate(now()).toString(),
    get: (target, key, receiver) => (key === 'now' ? now : Reflect.get(target, key, receiver) as unknown),
  });
}
