/**
 * The one error type of the statistics stage. `src/stats/` imports nothing outside itself (see
 * DESIGN.md), so this is a plain `Error` subclass rather than `FteError`: bad input here is a caller's
 * bug (unequal arrays, a 2 in a 0/1 vector), not something a user fixes through a flag.
 */
export class StatsInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StatsInputError';
  }
}
