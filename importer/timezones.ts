// Time zones for imported venues: which IANA zone a venue is in when the source does not say, and
// conversions between a venue's wall-clock time and UTC. Pure: uses the ICU data built into Node.

/** Countries that use one IANA zone for (nearly) every venue. ES and PT count their mainland zone. */
const COUNTRY_ZONES: Record<string, string> = {
  AD: 'Europe/Andorra', AE: 'Asia/Dubai', AL: 'Europe/Tirane', AM: 'Asia/Yerevan',
  AR: 'America/Argentina/Buenos_Aires', AT: 'Europe/Vienna', AZ: 'Asia/Baku', BA: 'Europe/Sarajevo',
  BB: 'America/Barbados', BD: 'Asia/Dhaka', BE: 'Europe/Brussels', BG: 'Europe/Sofia',
  BH: 'Asia/Bahrain', BO: 'America/La_Paz', BS: 'America/Nassau', BY: 'Europe/Minsk',
  BZ: 'America/Belize', CH: 'Europe/Zurich', CN: 'Asia/Shanghai', CO: 'America/Bogota',
  CR: 'America/Costa_Rica', CY: 'Asia/Nicosia', CZ: 'Europe/Prague', DE: 'Europe/Berlin',
  DK: 'Europe/Copenhagen', DO: 'America/Santo_Domingo', DZ: 'Africa/Algiers', EE: 'Europe/Tallinn',
  EG: 'Africa/Cairo', ES: 'Europe/Madrid', FI: 'Europe/Helsinki', FR: 'Europe/Paris',
  GB: 'Europe/London', GE: 'Asia/Tbilisi', GH: 'Africa/Accra', GR: 'Europe/Athens',
  GT: 'America/Guatemala', HK: 'Asia/Hong_Kong', HN: 'America/Tegucigalpa', HR: 'Europe/Zagreb',
  HU: 'Europe/Budapest', IE: 'Europe/Dublin', IL: 'Asia/Jerusalem', IN: 'Asia/Kolkata',
  IQ: 'Asia/Baghdad', IS: 'Atlantic/Reykjavik', IT: 'Europe/Rome', JM: 'America/Jamaica',
  JO: 'Asia/Amman', JP: 'Asia/Tokyo', KE: 'Africa/Nairobi', KR: 'Asia/Seoul', KW: 'Asia/Kuwait',
  LB: 'Asia/Beirut', LI: 'Europe/Vaduz', LK: 'Asia/Colombo', LT: 'Europe/Vilnius',
  LU: 'Europe/Luxembourg', LV: 'Europe/Riga', MA: 'Africa/Casablanca', MC: 'Europe/Monaco',
  MD: 'Europe/Chisinau', ME: 'Europe/Podgorica', MK: 'Europe/Skopje', MT: 'Europe/Malta',
  MY: 'Asia/Kuala_Lumpur', NG: 'Africa/Lagos', NI: 'America/Managua', NL: 'Europe/Amsterdam',
  NO: 'Europe/Oslo', NP: 'Asia/Kathmandu', NZ: 'Pacific/Auckland', OM: 'Asia/Muscat',
  PA: 'America/Panama', PE: 'America/Lima', PH: 'Asia/Manila', PK: 'Asia/Karachi',
  PL: 'Europe/Warsaw', PR: 'America/Puerto_Rico', PT: 'Europe/Lisbon', PY: 'America/Asuncion',
  QA: 'Asia/Qatar', RO: 'Europe/Bucharest', RS: 'Europe/Belgrade', SA: 'Asia/Riyadh',
  SE: 'Europe/Stockholm', SG: 'Asia/Singapore', SI: 'Europe/Ljubljana', SK: 'Europe/Bratislava',
  SM: 'Europe/San_Marino', SV: 'America/El_Salvador', TH: 'Asia/Bangkok', TN: 'Africa/Tunis',
  TR: 'Europe/Istanbul', TT: 'America/Port_of_Spain', TW: 'Asia/Taipei', UA: 'Europe/Kyiv',
  UY: 'America/Montevideo', VA: 'Europe/Vatican', VE: 'America/Caracas', VN: 'Asia/Ho_Chi_Minh',
  ZA: 'Africa/Johannesburg',
};

/**
 * Countries with several zones, by state or province code. Where a state spans zones, the zone of
 * most of its population (and of its big venues) wins: FL New York, TN Chicago, ID Boise.
 */
const STATE_ZONES: Record<string, Record<string, string>> = {
  US: {
    AL: 'America/Chicago', AK: 'America/Anchorage', AZ: 'America/Phoenix', AR: 'America/Chicago',
    CA: 'America/Los_Angeles', CO: 'America/Denver', CT: 'America/New_York', DC: 'America/New_York',
    DE: 'America/New_York', FL: 'America/New_York', GA: 'America/New_York', HI: 'Pacific/Honolulu',
    IA: 'America/Chicago', ID: 'America/Boise', IL: 'America/Chicago', IN: 'America/Indiana/Indianapolis',
    KS: 'America/Chicago', KY: 'America/New_York', LA: 'America/Chicago', MA: 'America/New_York',
    MD: 'America/New_York', ME: 'America/New_York', MI: 'America/Detroit', MN: 'America/Chicago',
    MO: 'America/Chicago', MS: 'America/Chicago', MT: 'America/Denver', NC: 'America/New_York',
    ND: 'America/Chicago', NE: 'America/Chicago', NH: 'America/New_York', NJ: 'America/New_York',
    NM: 'America/Denver', NV: 'America/Los_Angeles', NY: 'America/New_York', OH: 'America/New_York',
    OK: 'America/Chicago', OR: 'America/Los_Angeles', PA: 'America/New_York', PR: 'America/Puerto_Rico',
    RI: 'America/New_York', SC: 'America/New_York', SD: 'America/Chicago', TN: 'America/Chicago',
    TX: 'America/Chicago', UT: 'America/Denver', VA: 'America/New_York', VT: 'America/New_York',
    WA: 'America/Los_Angeles', WI: 'America/Chicago', WV: 'America/New_York', WY: 'America/Denver',
  },
  CA: {
    AB: 'America/Edmonton', BC: 'America/Vancouver', MB: 'America/Winnipeg', NB: 'America/Moncton',
    NL: 'America/St_Johns', NS: 'America/Halifax', NT: 'America/Yellowknife', NU: 'America/Iqaluit',
    ON: 'America/Toronto', PE: 'America/Halifax', QC: 'America/Toronto', SK: 'America/Regina',
    YT: 'America/Whitehorse',
  },
  AU: {
    ACT: 'Australia/Sydney', NSW: 'Australia/Sydney', NT: 'Australia/Darwin', QLD: 'Australia/Brisbane',
    SA: 'Australia/Adelaide', TAS: 'Australia/Hobart', VIC: 'Australia/Melbourne', WA: 'Australia/Perth',
  },
};

/** Which rule gave a venue its zone, in the order they are tried. */
export type TimezoneRule = 'venue' | 'event' | 'country' | 'state' | 'utc';

export function isValidTimeZone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || zone === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The venue's zone: its own, else the event's, else from its country or state, else UTC. */
export function resolveTimezone(input: {
  venueZone?: unknown; eventZone?: unknown; country?: string | null; state?: string | null;
}): { timezone: string; rule: TimezoneRule } {
  if (isValidTimeZone(input.venueZone)) return { timezone: input.venueZone, rule: 'venue' };
  if (isValidTimeZone(input.eventZone)) return { timezone: input.eventZone, rule: 'event' };
  const country = input.country?.toUpperCase() ?? '';
  if (COUNTRY_ZONES[country]) return { timezone: COUNTRY_ZONES[country], rule: 'country' };
  const byState = STATE_ZONES[country]?.[input.state?.toUpperCase() ?? ''];
  if (byState) return { timezone: byState, rule: 'state' };
  return { timezone: 'UTC', rule: 'utc' };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23',
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Wall-clock fields of an instant in a zone, as milliseconds of a UTC date with the same fields. */
function wallClockMs(instantMs: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(zone).formatToParts(new Date(instantMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
}

/** Offset of the zone from UTC at an instant, in milliseconds (Tokyo: +9 h). */
function offsetMs(instantMs: number, zone: string): number {
  return wallClockMs(instantMs, zone) - Math.floor(instantMs / 1000) * 1000;
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * The UTC instant of a wall-clock time ("2025-03-30", "2025-03-30T20:00:00") in a zone, with the
 * same answer as PostgreSQL's `timestamp AT TIME ZONE zone`: a wall time that happens twice (clocks
 * going back) is the later instant; one skipped by clocks going forward uses the offset before the
 * change. Returns null when the text is not a valid local date or date-time.
 */
export function localToUtc(local: string, zone: string): Date | null {
  const m = LOCAL.exec(local.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0));
  if (h > 23 || mi > 59 || s > 59) return null;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  // Offsets a day either side bracket any DST change; each gives one candidate instant.
  const before = offsetMs(wall - 86_400_000, zone);
  const after = offsetMs(wall + 86_400_000, zone);
  const matching = [wall - before, wall - after].filter((c) => wallClockMs(c, zone) === wall);
  return new Date(matching.length > 0 ? Math.max(...matching) : wall - before);
}

/** The wall-clock time of an instant in a zone, as "YYYY-MM-DDTHH:MM:SS". */
export function utcToLocal(instant: Date, zone: string): string {
  return new Date(wallClockMs(instant.getTime(), zone)).toISOString().slice(0, 19);
}

/** The instant `weeks` weeks later at the same wall-clock time in the zone (DST-safe). */
export function addWeeksLocal(instant: Date, weeks: number, zone: string): Date {
  const wall = new Date(wallClockMs(instant.getTime(), zone) + weeks * 7 * 86_400_000);
  return localToUtc(wall.toISOString().slice(0, 19), zone) ?? new Date(instant.getTime() + weeks * 7 * 86_400_000);
}
