// Ticketmaster Discovery API v2 → Boxoffice catalogue model. Pure: no database, no network.
// Accepts what the API returns (a search response with _embedded.events, one event object) and
// arrays of either. See docs/importer.md for the rules applied here.
import { createHash } from 'node:crypto';
import { toMinorUnits } from '../lib/money.ts';
import { localToUtc, resolveTimezone, type TimezoneRule } from './timezones.ts';

export interface VenueModel {
  sourceId: string;
  name: string;
  address: string | null;
  city: string | null;
  state: string | null;
  postalCode: string | null;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string | null;
  timezone: string;
  timezoneRule: TimezoneRule;
  latitude: number | null;
  longitude: number | null;
}

export interface PerformerModel {
  sourceId: string;
  name: string;
  url: string | null;
}

export interface PriceTierModel {
  name: string;
  /** Integer minor units of the event's currency. */
  amount: number;
}

export type EventStatus = 'published' | 'postponed' | 'cancelled';

/** What inventory the event gets: a ticket per seat, general-admission places, or none. */
export type InventoryPlan =
  | { kind: 'reserved' }
  | { kind: 'general-admission'; places: number }
  | { kind: 'none' };

export interface EventModel {
  sourceId: string;
  venueSourceId: string;
  title: string;
  description: string | null;
  category: string | null;
  genre: string | null;
  url: string | null;
  imageUrl: string | null;
  /** ISO 8601 UTC. */
  startsAt: string;
  /** Where startsAt came from: the source's UTC time, local date and time, or local date only. */
  startRule: 'utc' | 'local-time' | 'local-date';
  status: EventStatus;
  saleStartsAt: string | null;
  saleEndsAt: string | null;
  /** Null when the event has no prices. */
  currency: string | null;
  maxTicketsPerUser: number;
  /** Performer source ids, headliner first. */
  performerSourceIds: string[];
  priceTiers: PriceTierModel[];
  inventory: InventoryPlan;
}

export interface Skipped {
  id: string;
  reason: string;
}

export interface CatalogueModel {
  venues: VenueModel[];
  performers: PerformerModel[];
  events: EventModel[];
  skipped: Skipped[];
}

export const DEFAULT_MAX_TICKETS_PER_USER = 8;
export const GENERAL_ADMISSION_PLACES = 500;

// The source is untyped JSON; these read it defensively.
type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string | null => {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t === '' ? null : t;
};
const num = (v: unknown): number | null => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
};
const instant = (v: unknown): string | null => {
  const t = text(v);
  if (!t || !/^\d{4}-\d{2}-\d{2}T/.test(t)) return null;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
};

/** The event objects in any accepted shape, in document order. */
export function extractEvents(input: unknown): Json[] {
  if (Array.isArray(input)) return input.flatMap(extractEvents);
  const o = obj(input);
  if (o.type === 'event') return [o];
  if ('_embedded' in o || 'page' in o) return arr(obj(o._embedded).events).map(obj);
  throw new Error('not a Discovery API response: expected _embedded.events, an event, or an array of those');
}

/** Parses Discovery API JSON into the catalogue model; events that cannot be imported are listed in skipped. */
export function parseDiscovery(input: unknown): CatalogueModel {
  const venues = new Map<string, VenueModel>();
  const performers = new Map<string, PerformerModel>();
  const events = new Map<string, EventModel>();
  const skipped: Skipped[] = [];

  for (const raw of extractEvents(input)) {
    const id = text(raw.id);
    if (!id) { skipped.push({ id: '(no id)', reason: 'event has no id' }); continue; }
    if (events.has(id)) continue; // the same event twice in one file: the first one counts
    const result = parseEvent(raw, id, venues);
    if ('reason' in result) { skipped.push({ id, reason: result.reason }); continue; }
    const { event, venue, eventPerformers } = result;
    if (!venues.has(venue.sourceId)) venues.set(venue.sourceId, venue);
    for (const p of eventPerformers) if (!performers.has(p.sourceId)) performers.set(p.sourceId, p);
    events.set(id, event);
  }
  return { venues: [...venues.values()], performers: [...performers.values()], events: [...events.values()], skipped };
}

function parseEvent(e: Json, id: string, known: Map<string, VenueModel>):
  { event: EventModel; venue: VenueModel; eventPerformers: PerformerModel[] } | { reason: string } {
  const title = text(e.name);
  if (!title) return { reason: 'event has no name' };
  const dates = obj(e.dates);
  const venue = parseVenue(e, dates.timezone);
  if (!venue) return { reason: 'event has no venue or place' };
  // A venue seen earlier in the file keeps the zone it got there, so its events agree.
  const timezone = known.get(venue.sourceId)?.timezone ?? venue.timezone;

  const start = obj(dates.start);
  let startsAt = instant(start.dateTime);
  let startRule: EventModel['startRule'] = 'utc';
  const localDate = text(start.localDate);
  if (!startsAt && localDate) {
    const localTime = text(start.localTime);
    startsAt = (localTime && localToUtc(`${localDate}T${localTime}`, timezone)?.toISOString()) || null;
    startRule = 'local-time';
    if (!startsAt) {
      startsAt = localToUtc(localDate, timezone)?.toISOString() ?? null;
      startRule = 'local-date';
    }
  }
  if (!startsAt) return { reason: 'event has no start date' };

  const prices = parsePrices(e.priceRanges);
  const eventPerformers = parsePerformers(obj(e._embedded).attractions);
  const [saleStartsAt, saleEndsAt] = parseSaleWindow(e.sales);
  const classification = obj(arr(e.classifications).find((c) => obj(c).primary === true) ?? arr(e.classifications)[0]);

  const event: EventModel = {
    sourceId: id,
    venueSourceId: venue.sourceId,
    title,
    description: text(e.info) ?? text(e.description) ?? text(e.pleaseNote),
    category: classificationName(classification.segment),
    genre: classificationName(classification.genre),
    url: text(e.url),
    imageUrl: widestImage(e.images),
    startsAt,
    startRule,
    status: mapStatus(text(obj(dates.status).code)),
    saleStartsAt,
    saleEndsAt,
    currency: prices.currency,
    maxTicketsPerUser: parseTicketLimit(text(obj(e.ticketLimit).info)) ?? DEFAULT_MAX_TICKETS_PER_USER,
    performerSourceIds: eventPerformers.map((p) => p.sourceId),
    priceTiers: prices.tiers,
    inventory: prices.tiers.length >= 2 ? { kind: 'reserved' }
      : prices.tiers.length === 1 ? { kind: 'general-admission', places: GENERAL_ADMISSION_PLACES }
      : { kind: 'none' },
  };
  return { event, venue, eventPerformers };
}

function parseVenue(e: Json, eventZone: unknown): VenueModel | null {
  const embedded = obj(arr(obj(e._embedded).venues)[0]);
  const fromVenue = Object.keys(embedded).length > 0;
  const v = fromVenue ? embedded : obj(e.place);
  if (Object.keys(v).length === 0) return null;
  const address = obj(v.address);
  const line1 = text(address.line1);
  const addressText = [line1, text(address.line2), text(address.line3)].filter(Boolean).join(', ') || null;
  const city = text(obj(v.city).name);
  const countryCode = text(obj(v.country).countryCode)?.toUpperCase() ?? null;
  const country = countryCode && /^[A-Z]{2}$/.test(countryCode) ? countryCode : null;
  const state = text(obj(v.state).stateCode) ?? text(obj(v.state).name);
  // A place has no name of its own: its street address (first part) or city names it.
  const name = text(v.name) ?? line1?.split(',')[0].trim() ?? city;
  if (!name) return null;
  // A place has no id either: a hash of what identifies it keeps it the same venue on re-import.
  const sourceId = fromVenue && text(v.id) ? text(v.id)!
    : 'place:' + createHash('sha256')
      .update(JSON.stringify([name, addressText, city, country].map((s) => s?.normalize('NFC').toLowerCase() ?? '')))
      .digest('hex').slice(0, 20);
  const location = obj(v.location);
  const latitude = num(location.latitude);
  const longitude = num(location.longitude);
  const zone = resolveTimezone({ venueZone: v.timezone, eventZone, country, state: text(obj(v.state).stateCode) });
  return {
    sourceId,
    name,
    address: addressText,
    city,
    state,
    postalCode: text(v.postalCode),
    country,
    timezone: zone.timezone,
    timezoneRule: zone.rule,
    latitude: latitude !== null && Math.abs(latitude) <= 90 ? latitude : null,
    longitude: longitude !== null && Math.abs(longitude) <= 180 ? longitude : null,
  };
}

function parsePerformers(attractions: unknown): PerformerModel[] {
  const seen = new Map<string, PerformerModel>();
  for (const a of arr(attractions).map(obj)) {
    const sourceId = text(a.id);
    const name = text(a.name);
    if (sourceId && name && !seen.has(sourceId)) seen.set(sourceId, { sourceId, name, url: text(a.url) });
  }
  return [...seen.values()];
}

/** Public on-sale window; an end not after the start is dropped (the sale then ends at the event). */
function parseSaleWindow(sales: unknown): [string | null, string | null] {
  const pub = obj(obj(sales).public);
  const start = instant(pub.startDateTime);
  const end = instant(pub.endDateTime);
  return [start, end && (!start || end > start) ? end : null];
}

function mapStatus(code: string | null): EventStatus {
  switch (code?.toLowerCase()) {
    case 'cancelled': case 'canceled': return 'cancelled';
    case 'postponed': return 'postponed';
    // onsale, offsale, rescheduled and anything unknown: a visible event (the sale window decides sales).
    default: return 'published';
  }
}

function classificationName(v: unknown): string | null {
  const name = text(obj(v).name);
  return name && name.toLowerCase() !== 'undefined' ? name : null;
}

function widestImage(images: unknown): string | null {
  let best: { url: string; width: number } | null = null;
  for (const image of arr(images).map(obj)) {
    const url = text(image.url);
    const width = num(image.width) ?? 0;
    if (url && (!best || width > best.width)) best = { url, width };
  }
  return best?.url ?? null;
}

/**
 * Price tiers from priceRanges: a tier at each range's min and, when higher, at its max. The first
 * range's currency is the event's; ranges in another currency are ignored.
 */
export function parsePrices(priceRanges: unknown): { currency: string | null; tiers: PriceTierModel[] } {
  const ranges = arr(priceRanges).map(obj).filter((r) => /^[A-Za-z]{3}$/.test(text(r.currency) ?? ''));
  if (ranges.length === 0) return { currency: null, tiers: [] };
  const currency = text(ranges[0].currency)!.toUpperCase();
  const sameCurrency = ranges.filter((r) => text(r.currency)!.toUpperCase() === currency);
  const types = new Set(sameCurrency.map((r) => text(r.type) ?? 'standard'));
  const tiers = new Map<string, PriceTierModel>();
  const add = (name: string, value: number | null) => {
    if (value === null || value < 0 || tiers.has(name)) return;
    const amount = toMinorUnits(value, currency);
    if (amount <= 2_147_483_647) tiers.set(name, { name, amount });
  };
  for (const r of sameCurrency) {
    const suffix = types.size > 1 ? ` (${text(r.type) ?? 'standard'})` : '';
    const min = num(r.min) ?? num(r.max);
    const max = num(r.max);
    add(`Standard${suffix}`, min);
    if (min !== null && max !== null && max > min) add(`Premium${suffix}`, max);
  }
  return { currency, tiers: [...tiers.values()] };
}

const NUMBER_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17,
  eighteen: 18, nineteen: 19, twenty: 20,
};
const NUMBER_WORD = new RegExp(`\\b(${Object.keys(NUMBER_WORDS).join('|')})\\b`, 'i');

/**
 * The per-buyer limit in ticketLimit.info, a free text such as "There is an overall 2 ticket
 * limit" or "a limit of 4 during the presale ... of 8 during general on sale". Per clause, the
 * overall limit wins, then the general public one, then one not about a presale or package; the
 * result is clamped to 1..100. Null when the text states no number.
 */
export function parseTicketLimit(info: string | null): number | null {
  if (!info || !/limit|max/i.test(info)) return null;
  let best: { rank: number; value: number } | null = null;
  for (const clause of info.split(/[.;,&]|\s[-–]\s/)) {
    const digits = /\b(\d{1,3})\b/.exec(clause);
    const word = NUMBER_WORD.exec(clause);
    const value = digits ? Number(digits[1]) : word ? NUMBER_WORDS[word[1].toLowerCase()] : null;
    if (value === null) continue;
    const rank = /overall/i.test(clause) ? 3
      : /public|general/i.test(clause) ? 2
      : /presale|vip|package|premium|member|fan club|preferred/i.test(clause) ? 0
      : 1;
    if (!best || rank > best.rank) best = { rank, value };
  }
  return best ? Math.min(100, Math.max(1, best.value)) : null;
}
