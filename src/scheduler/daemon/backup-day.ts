// Backup days of arbitrary instants (not only of occurrences), and ISO times in the config's zone.
import { occurrences, Zone, type CalendarConfig } from "../calendar/index.js";

const DAY_MS = 86_400_000;
/** How far back (days) to look for the newday that began the backup day of an instant (as the core does). */
const NEWDAY_SEARCH_DAYS = [2, 35, 400];

/** The local date "YYYY-MM-DD" of an instant in a zone. */
export function localDate(zone: Zone, at: Date): string {
  const local = zone.toLocal(Math.floor(at.getTime() / 60_000));
  return new Date(local * 60_000).toISOString().slice(0, 10);
}

/** An instant as ISO 8601 in the zone with its offset, to the second: "2027-03-31T14:23:17+02:00". */
export function isoInZone(zone: Zone, at: Date): string {
  const ms = Math.floor(at.getTime() / 1000) * 1000;
  const offset = zone.offsetAt(Math.floor(ms / 60_000));
  const local = new Date(ms + offset * 60_000).toISOString().slice(0, 19);
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/**
 * The backup day of an instant (R1 of docs/calendar.md): the date of the last enabled newday at
 * or before it, with that newday's instant; else the instant's own local date and no start.
 */
export function backupDayAt(config: CalendarConfig, at: Date): { day: string; start?: Date } {
  const to = new Date(at.getTime() + 1);
  for (const days of NEWDAY_SEARCH_DAYS) {
    const newdays = occurrences(config, new Date(at.getTime() - days * DAY_MS), to).filter((item) => item.type === "newday" && item.status !== "disabled");
    const last = newdays[newdays.length - 1];
    if (last !== undefined) return { day: last.backupDay, start: new Date(last.time) };
  }
  return { day: localDate(new Zone(config.timezone), at) };
}
