// RFC 9110 §5.6.7: day and month names are case-sensitive; recipients accept all three formats.
const dayNames = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const longDayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const monthNames = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const day = `(${dayNames.join('|')})`;
const month = `(${monthNames.join('|')})`;
const time = '([0-9]{2}):([0-9]{2}):([0-9]{2})';
// `Sun, 06 Nov 1994 08:49:37 GMT`
const imfFixdate = new RegExp(`^${day}, ([0-9]{2}) ${month} ([0-9]{4}) ${time} GMT$`);
// `Sunday, 06-Nov-94 08:49:37 GMT` (obsolete)
const rfc850Date = new RegExp(`^(${longDayNames.join('|')}), ([0-9]{2})-${month}-([0-9]{2}) ${time} GMT$`);
// `Sun Nov  6 08:49:37 1994` (obsolete, C's asctime)
const asctimeDate = new RegExp(`^${day} ${month} ([0-9]{2}| [0-9]) ${time} ([0-9]{4})$`);

interface Fields {
  readonly weekday: number;
  readonly year: number;
  readonly month: string;
  readonly day: string;
  readonly hour: string;
  readonly minute: string;
  readonly second: string;
}

function fieldsOf(text: string, now: number): Fields | undefined {
  let match = imfFixdate.exec(text);
  if (match) {
    const [, weekday, dayOfMonth, monthName, year, hour, minute, second] = match as unknown as string[];
    return {
      weekday: dayNames.indexOf(weekday!),
      year: Number(year),
      month: monthName!,
      day: dayOfMonth!,
      hour: hour!,
      minute: minute!,
      second: second!,
    };
  }
  match = rfc850Date.exec(text);
  if (match) {
    const [, weekday, dayOfMonth, monthName, shortYear, hour, minute, second] = match as unknown as string[];
    // A two-digit year more than 50 years in the future is the most recent past year with those digits.
    const thisYear = new Date(now).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(shortYear);
    if (year > thisYear + 50) year -= 100;
    return {
      weekday: longDayNames.indexOf(weekday!),
      year,
      month: monthName!,
      day: dayOfMonth!,
      hour: hour!,
      minute: minute!,
      second: second!,
    };
  }
  match = asctimeDate.exec(text);
  if (match) {
    const [, weekday, monthName, dayOfMonth, hour, minute, second, year] = match as unknown as string[];
    return {
      weekday: dayNames.indexOf(weekday!),
      year: Number(year),
      month: monthName!,
      day: dayOfMonth!.trim(),
      hour: hour!,
      minute: minute!,
      second: second!,
    };
  }
  return undefined;
}

/**
 * Parses an HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime forms)
 * strictly: exact syntax, names in their case, a real calendar date and time of day, and a day name
 * that matches the date. Anything else — `Date.parse` would read `2026-01-01` or `12 Jan` — is
 * undefined. `now` places a two-digit RFC 850 year.
 */
export function parseHttpDate(value: string | undefined, now: number = Date.now()): Date | undefined {
  if (value === undefined) return undefined;
  const fields = fieldsOf(value.trim(), now);
  if (fields === undefined) return undefined;
  const monthIndex = monthNames.indexOf(fields.month);
  const [dayOfMonth, hour, minute, second] = [fields.day, fields.hour, fields.minute, fields.second].map(
    Number,
  );
  // Leap seconds (`:60`) are allowed by the grammar but not by Date: refused rather than rounded.
  if (hour! > 23 || minute! > 59 || second! > 59 || dayOfMonth! < 1) return undefined;
  // Not Date.UTC(year, …): it reads the years 0–99 as 1900–1999. setUTCFullYear takes them as written.
  const date = new Date(Date.UTC(2000, 0, 1, hour, minute, second));
  date.setUTCFullYear(fields.year, monthIndex, dayOfMonth);
  // 31 Feb rolls over into March: a date that moved was not a calendar date.
  if (date.getUTCDate() !== dayOfMonth || date.getUTCMonth() !== monthIndex) return undefined;
  if (date.getUTCDay() !== fields.weekday) return undefined;
  return date;
}
