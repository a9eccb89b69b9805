import { InvalidArgumentError } from "../sdk";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const RELATIVE = /^(\d+)([smhdw])$/;
// A date alone (2026-12-31) or a date and time; without a zone it is read as UTC, not local time.
const ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/;

// Date() rolls 2026-02-30 over to March 2nd instead of refusing it.
function isCalendarDay(day: string): boolean {
  const [year, month, date] = day.split("-").map(Number);
  const parsed = new Date(Date.UTC(year, month - 1, date));
  return parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === date;
}

// Date() reads 24:00 as the next day's midnight instead of refusing it; it refuses minute 60 and
// second 60 (no leap seconds). One rule for both: hours 00-23, minutes and seconds 00-59, in the
// time and in the zone's offset.
function isClockTime(time: string, zone: string | undefined): boolean {
  const [hours, minutes, seconds = "0"] = time.split(":");
  const [offsetHours, offsetMinutes] = zone === undefined || zone === "Z" ? ["00", "00"] : [zone.slice(1, 3), zone.slice(-2)];
  return Number(hours) <= 23 && Number(minutes) <= 59 && Number(seconds) < 60 && Number(offsetHours) <= 23 && Number(offsetMinutes) <= 59;
}

/**
 * Reads an `--expires` value: a positive duration from now (`30m`, `12h`, `7d`, `2w`, `90s`) or
 * an ISO 8601 date/time (`2026-12-31`, `2026-12-31T18:00`, `2026-12-31T18:00+02:00`; UTC unless
 * a zone is given). Whether the time is still in the future is for the chain's clock to say,
 * not the local one: the registry refuses a past expiry (`ExpiryInPast`, exit 2).
 */
export function parseExpiry(text: string, now: Date = new Date()): Date {
  const value = text.trim();
  const relative = RELATIVE.exec(value);
  const iso = ISO.exec(value);
  let date: Date;
  if (relative) {
    if (Number(relative[1]) === 0) throw new InvalidArgumentError(`Invalid expiry ${JSON.stringify(text)}: a duration must be positive`);
    date = new Date(now.getTime() + Number(relative[1]) * UNIT_SECONDS[relative[2]] * 1000);
  } else if (iso) {
    const [, day, time, zone] = iso;
    if (!isCalendarDay(day)) throw new InvalidArgumentError(`Invalid expiry ${JSON.stringify(text)}: ${day} is not a calendar day`);
    if (time !== undefined && !isClockTime(time, zone)) throw new InvalidArgumentError(`Invalid expiry ${JSON.stringify(text)}: not a time of day (hours 00-23, minutes and seconds 00-59)`);
    date = new Date(time === undefined ? day : `${day}T${time}${zone ?? "Z"}`);
  } else {
    throw new InvalidArgumentError(`Invalid expiry ${JSON.stringify(text)}: use a duration such as 30m, 12h, 7d or an ISO date/time`);
  }
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError(`Invalid expiry ${JSON.stringify(text)}: not a real date`);
  return date;
}
