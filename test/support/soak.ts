/**
 * The long soak variants: `CHATLINES_SOAK=1 npm test` runs the load tests at full size (1,000
 * timers in one sweep, a crash after 80 of 200, 500 live sockets × 1,000 events, ten random
 * metric histories, 80/30/30/20 random searches per collection); by default they run a smaller
 * load that asserts the same properties (100 timers, a crash after 40 of 100, 100 sockets × 200
 * events, five histories, half the random searches), so `npm test` stays quick.
 */
export const SOAK = process.env.CHATLINES_SOAK === '1';

/** `normal` by default, `long` under `CHATLINES_SOAK=1`. */
export const soak = <T>(normal: T, long: T): T => (SOAK ? long : normal);
