/**
 * The server's calendar: the applied config (kept in the catalog) and its sheet. The daemon that
 * starts jobs from it comes next; until then the sheet shows the statuses the config alone gives.
 */
import { apiError } from "../api/index.js";
import type { Catalog } from "../catalog/index.js";
import { isReelError } from "../errors/index.js";
import { type CalendarConfig, occurrences, validateConfig } from "../scheduler/index.js";

const SETTING = "calendar.config";
const EMPTY: CalendarConfig = { timezone: "UTC", schedules: [], events: [] };

export class ServerCalendar {
  readonly #catalog: Catalog;
  readonly #defaultTimeZone: string;

  constructor(catalog: Catalog, defaultTimeZone: string) {
    this.#catalog = catalog;
    this.#defaultTimeZone = defaultTimeZone;
  }

  config(): CalendarConfig {
    const text = this.#catalog.getSetting(SETTING);
    return text === null ? { ...EMPTY, timezone: this.#defaultTimeZone } : (JSON.parse(text) as CalendarConfig);
  }

  /** Checks the whole config and stores it; a bad field is a 400 naming it, and nothing changes. */
  apply(raw: unknown): CalendarConfig {
    let config: CalendarConfig;
    try {
      config = validateConfig(raw, "body", { defaultTimeZone: this.#defaultTimeZone });
    } catch (error) {
      if (isReelError(error)) throw apiError("API_BAD_REQUEST", error.message, { ...error.details }, error);
      throw error;
    }
    this.#catalog.setSetting(SETTING, JSON.stringify(config));
    return config;
  }

  sheet(fromText: string, toText: string): ReturnType<typeof occurrences> {
    const from = instant(fromText, "from");
    const to = instant(toText, "to");
    if (to.getTime() - from.getTime() > 400 * 24 * 3600 * 1000) throw apiError("API_BAD_REQUEST", "query/to: a sheet covers at most 400 days");
    const config = this.config();
    return config.events.length === 0 ? [] : occurrences(config, from, to);
  }
}

function instant(text: string, field: string): Date {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(date.getTime())) throw apiError("API_BAD_REQUEST", `query/${field} "${text}" is not a date (2027-03-01) or an RFC 3339 time`);
  return date;
}
