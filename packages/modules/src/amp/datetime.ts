// DP-20: expire-at values are XEP-0082 DateTimes in UTC: `YYYY-MM-DDThh:mm:ss[.fraction]` with
// `Z`, `+00:00` or `-00:00`, any fraction length, a real calendar date (XEP-0079 §3.3.2: "the
// timezone MUST be UTC"). Anything else is not a legal value.

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|[+-]00:00)$/;

/**
 * The instant as UTC epoch milliseconds, or null when the text is not a legal value. A fraction
 * finer than a millisecond rounds UP, so that for integer `now` the check `now >= value` is met
 * exactly "on or after" the written instant (XEP-0079 §3.3.2, D15).
 */
export function parseUtcDateTime(text: string): number | null {
  const m = DATETIME.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  // xs:dateTime (XEP-0082 §3) has no year 0000; hours 00-23, no leap second.
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const base = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  base.setUTCFullYear(year, month - 1, day);
  base.setUTCHours(hour, minute, second, 0);
  return base.getTime() + fractionCeilMs(m[7] ?? "");
}

function fractionCeilMs(digits: string): number {
  const ms = Number((digits + "000").slice(0, 3));
  return /[1-9]/.test(digits.slice(3)) ? ms + 1 : ms;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
