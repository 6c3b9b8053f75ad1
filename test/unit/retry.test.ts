import { parseRetryAfter } from '../../src/ecwid/client';
import { DEFAULT_SYNC_OPTIONS, MAX_RETRY_AFTER_MS, retryDelayMs } from '../../src/payments/ecwidSync';

const OPTS = { baseDelayMs: 1_000, maxDelayMs: 60_000 };
const LOWEST = () => 0;
const HIGHEST = () => 1 - Number.EPSILON;
const MIDDLE = () => 0.5;

describe('retryDelayMs', () => {
  it('grows exponentially from the base delay (no jitter at the top of the range)', () => {
    const delays = [1, 2, 3, 4, 5].map((attempt) => retryDelayMs(attempt, OPTS, undefined, HIGHEST));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
  });

  it('the lowest jitter is half the exponential delay', () => {
    const delays = [1, 2, 3, 4, 5].map((attempt) => retryDelayMs(attempt, OPTS, undefined, LOWEST));
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000]);
  });

  it('a middle random value lands in the middle of the range', () => {
    expect(retryDelayMs(3, OPTS, undefined, MIDDLE)).toBe(3_000);
  });

  it('treats attempt 0 like the first attempt', () => {
    expect(retryDelayMs(0, OPTS, undefined, HIGHEST)).toBe(1_000);
  });

  it('is capped at maxDelayMs', () => {
    expect(retryDelayMs(7, OPTS, undefined, HIGHEST)).toBe(60_000);
    expect(retryDelayMs(30, OPTS, undefined, HIGHEST)).toBe(60_000);
    expect(retryDelayMs(30, OPTS, undefined, LOWEST)).toBe(30_000);
  });

  it('stays finite and capped for absurd attempt counts', () => {
    for (const attempts of [1_100, 5_000, Number.MAX_SAFE_INTEGER]) {
      const delay = retryDelayMs(attempts, OPTS, undefined, HIGHEST);
      expect(Number.isFinite(delay)).toBe(true);
      expect(delay).toBe(60_000);
    }
  });

  it('keeps every jittered delay within [half, all] of the exponential delay', () => {
    const randoms = [0, 0.001, 0.1, 0.25, 0.333, 0.5, 0.75, 0.9, 0.999, 1 - Number.EPSILON];
    for (let attempt = 1; attempt <= 10; attempt++) {
      const exponential = Math.min(OPTS.maxDelayMs, OPTS.baseDelayMs * 2 ** (attempt - 1));
      const seen = new Set<number>();
      for (const r of randoms) {
        const delay = retryDelayMs(attempt, OPTS, undefined, () => r);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(exponential / 2);
        expect(delay).toBeLessThanOrEqual(exponential);
        seen.add(delay);
      }
      // The random source is actually used: different draws, different delays.
      expect(seen.size).toBeGreaterThan(3);
    }
  });

  it('is monotonic in the random draw', () => {
    let previous = -1;
    for (let i = 0; i < 100; i++) {
      const delay = retryDelayMs(4, OPTS, undefined, () => i / 100);
      expect(delay).toBeGreaterThanOrEqual(previous);
      previous = delay;
    }
  });

  describe('Retry-After is a floor', () => {
    it('a longer Retry-After wins over the backoff', () => {
      expect(retryDelayMs(1, OPTS, 30_000, HIGHEST)).toBe(30_000);
    });

    it('a Retry-After longer than the cap is still honoured', () => {
      expect(retryDelayMs(1, OPTS, 120_000, HIGHEST)).toBe(120_000);
    });

    it('a Retry-After beyond an hour is capped at an hour', () => {
      expect(retryDelayMs(1, OPTS, 365 * 24 * 3_600_000, HIGHEST)).toBe(MAX_RETRY_AFTER_MS);
      expect(MAX_RETRY_AFTER_MS).toBe(3_600_000);
    });

    it('a shorter Retry-After does not shorten the backoff', () => {
      expect(retryDelayMs(5, OPTS, 1_000, LOWEST)).toBe(8_000);
    });

    it('Retry-After 0 leaves the backoff unchanged', () => {
      expect(retryDelayMs(3, OPTS, 0, MIDDLE)).toBe(3_000);
    });
  });

  it('the worker defaults start at seconds and cap at an hour', () => {
    expect(retryDelayMs(1, DEFAULT_SYNC_OPTIONS, undefined, HIGHEST)).toBe(DEFAULT_SYNC_OPTIONS.baseDelayMs);
    expect(retryDelayMs(DEFAULT_SYNC_OPTIONS.maxAttempts, DEFAULT_SYNC_OPTIONS, undefined, HIGHEST)).toBe(
      DEFAULT_SYNC_OPTIONS.maxDelayMs,
    );
    expect(DEFAULT_SYNC_OPTIONS.maxDelayMs).toBe(60 * 60_000);
  });
});

describe('parseRetryAfter', () => {
  const NOW = Date.parse('2025-05-21T12:00:00Z');

  it.each([
    ['120', 120_000],
    ['0', 0],
    ['1', 1_000],
    [' 7 ', 7_000],
    ['1.5', 1_500],
    ['600', 600_000],
  ])('delay-seconds %p → %p ms', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it('an IMF-fixdate in the future → the time until then', () => {
    expect(parseRetryAfter('Wed, 21 May 2025 12:01:30 GMT', NOW)).toBe(90_000);
  });

  it('the obsolete RFC 850 date form is understood', () => {
    expect(parseRetryAfter('Wednesday, 21-May-25 12:00:10 GMT', NOW)).toBe(10_000);
  });

  it('a date in the past → 0 (retry now, never negative)', () => {
    expect(parseRetryAfter('Wed, 21 May 2025 11:59:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:00 GMT', NOW)).toBe(0);
  });

  it('uses the given clock, not the wall clock', () => {
    const date = 'Wed, 21 May 2025 12:00:30 GMT';
    expect(parseRetryAfter(date, NOW)).toBe(30_000);
    expect(parseRetryAfter(date, NOW + 10_000)).toBe(20_000);
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['words', 'soon'],
    ['negative seconds', '-5'],
    ['hexadecimal', '0x10'],
    ['exponent', '1e3'],
    ['Infinity', 'Infinity'],
    ['a number with a unit', '5s'],
    ['a bare year-like number with text', '5 2099'],
    ['an invalid date', 'Wed, 99 Foo 2025 12:00:00 GMT'],
  ])('%s (%p) → undefined', (_label, value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });

  it.each([
    ['undefined', undefined],
    ['a number', 5],
    ['an array', ['5']],
    ['null', null],
  ])('a header value that is %s → undefined', (_label, value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});
