// The Discovery API parser on small inline documents: shapes, dates, prices, limits, places.
import t from 'tap';
import { parseDiscovery, parsePrices, parseTicketLimit, extractEvents } from '../../importer/discovery.ts';
import { currencyExponent, fromMinorUnits, toMinorUnits } from '../../lib/money.ts';
import { localToUtc, resolveTimezone } from '../../importer/timezones.ts';

// A minimal valid event; overrides replace top-level fields.
function event(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'event', id, name: `Event ${id}`,
    dates: { start: { localDate: '2025-06-01', localTime: '20:00:00', dateTime: '2025-06-01T18:00:00Z' }, timezone: 'Europe/Berlin', status: { code: 'onsale' } },
    _embedded: { venues: [{ id: 'V1', name: 'Hall', timezone: 'Europe/Berlin', city: { name: 'Berlin' }, country: { countryCode: 'de' } }] },
    ...overrides,
  };
}

t.test('accepts a search response, one event, and arrays of either', async (t) => {
  t.same(parseDiscovery({ _embedded: { events: [event('A'), event('B')] }, page: {} }).events.map((e) => e.sourceId), ['A', 'B']);
  t.same(parseDiscovery(event('A')).events.map((e) => e.sourceId), ['A']);
  t.same(parseDiscovery([event('A'), event('B')]).events.map((e) => e.sourceId), ['A', 'B']);
  t.same(parseDiscovery([{ _embedded: { events: [event('A')] } }, event('B')]).events.map((e) => e.sourceId), ['A', 'B']);
  t.same(parseDiscovery({ page: { totalElements: 0 } }).events, [], 'an empty result page has no events');
  t.throws(() => extractEvents({ hello: 'world' }), /not a Discovery API response/);
});

t.test('an event listed twice counts once; venues and performers are shared', async (t) => {
  const attractions = [{ id: 'P1', name: 'Band' }, { id: 'P2', name: 'Support' }, { id: 'P1', name: 'Band' }];
  const e1 = event('A', { _embedded: { ...(event('A')._embedded as object), attractions } });
  const model = parseDiscovery([e1, event('B'), event('A')]);
  t.equal(model.events.length, 2);
  t.equal(model.venues.length, 1);
  t.same(model.events[0].performerSourceIds, ['P1', 'P2'], 'headliner first, no duplicates');
  t.equal(model.venues[0].country, 'DE', 'country code upper-cased');
});

t.test('start time: UTC dateTime, else local date and time in the venue zone, else midnight', async (t) => {
  const local = parseDiscovery(event('L', { dates: { start: { localDate: '2025-07-01', localTime: '19:30:00' } } })).events[0];
  t.equal(local.startsAt, '2025-07-01T17:30:00.000Z', '19:30 in Berlin summer time is 17:30 UTC');
  t.equal(local.startRule, 'local-time');
  const dateOnly = parseDiscovery(event('D', { dates: { start: { localDate: '2025-12-31', timeTBA: true } } })).events[0];
  t.equal(dateOnly.startsAt, '2025-12-30T23:00:00.000Z', 'midnight in Berlin winter time');
  t.equal(dateOnly.startRule, 'local-date');
  const model = parseDiscovery([event('N', { dates: { start: { dateTBD: true } } }), event('M', { dates: undefined })]);
  t.same(model.events, []);
  t.same(model.skipped, [{ id: 'N', reason: 'event has no start date' }, { id: 'M', reason: 'event has no start date' }]);
});

t.test('events without a venue or id are skipped with a reason', async (t) => {
  const model = parseDiscovery([event('X', { _embedded: {} }), { type: 'event', name: 'no id' }]);
  t.same(model.skipped, [{ id: 'X', reason: 'event has no venue or place' }, { id: '(no id)', reason: 'event has no id' }]);
});

t.test('venue time zone: venue, event, country, state, else UTC', async (t) => {
  const venue = (v: Record<string, unknown>, tz?: string) =>
    parseDiscovery(event('E', { _embedded: { venues: [{ id: 'V', name: 'Hall', ...v }] }, dates: { start: { dateTime: '2025-01-01T00:00:00Z' }, timezone: tz } })).venues[0];
  t.match(venue({ timezone: 'Asia/Tokyo' }, 'Europe/Paris'), { timezone: 'Asia/Tokyo', timezoneRule: 'venue' });
  t.match(venue({ timezone: 'Not/AZone' }, 'Europe/Paris'), { timezone: 'Europe/Paris', timezoneRule: 'event' });
  t.match(venue({ country: { countryCode: 'IS' } }), { timezone: 'Atlantic/Reykjavik', timezoneRule: 'country' });
  t.match(venue({ country: { countryCode: 'US' }, state: { stateCode: 'AZ' } }), { timezone: 'America/Phoenix', timezoneRule: 'state' });
  t.match(venue({ country: { countryCode: 'AU' }, state: { stateCode: 'WA' } }), { timezone: 'Australia/Perth', timezoneRule: 'state' });
  t.match(venue({ country: { countryCode: 'US' } }), { timezone: 'UTC', timezoneRule: 'utc' }, 'a US venue without a state cannot be placed');
  t.same(resolveTimezone({}), { timezone: 'UTC', rule: 'utc' });
});

t.test('a place instead of a venue becomes a venue with a stable id', async (t) => {
  const place = { city: { name: 'Madrid' }, country: { countryCode: 'ES' }, address: { line1: 'C. de Montalbán, 1, 28014 Madrid' } };
  const a = parseDiscovery(event('P', { _embedded: undefined, place })).venues[0];
  const b = parseDiscovery(event('Q', { _embedded: undefined, place: structuredClone(place) })).venues[0];
  t.match(a.sourceId, /^place:[0-9a-f]{20}$/);
  t.equal(a.sourceId, b.sourceId, 'the same place gives the same id');
  t.equal(a.name, 'C. de Montalbán');
  t.equal(a.timezone, 'Europe/Berlin', 'the event zone comes before the country table');
  const other = parseDiscovery(event('R', { _embedded: undefined, place: { ...place, city: { name: 'Toledo' } } })).venues[0];
  t.not(other.sourceId, a.sourceId);
});

t.test('status, classification, description, image, sale window', async (t) => {
  const e = parseDiscovery(event('S', {
    dates: { start: { dateTime: '2025-06-01T18:00:00Z' }, status: { code: 'postponed' } },
    classifications: [{ segment: { name: 'Undefined' } }, { primary: true, segment: { name: 'Sports' }, genre: { name: 'Undefined' } }],
    pleaseNote: 'Bring ID.',
    images: [{ url: 'small', width: 100 }, { url: 'wide', width: 2048 }, { url: 'mid', width: 1024 }],
    sales: { public: { startDateTime: '2025-01-01T10:00:00Z', endDateTime: '2024-12-01T10:00:00Z' } },
  })).events[0];
  t.equal(e.status, 'postponed');
  t.equal(e.category, 'Sports');
  t.equal(e.genre, null, "'Undefined' genre is no genre");
  t.equal(e.description, 'Bring ID.');
  t.equal(e.imageUrl, 'wide');
  t.equal(e.saleStartsAt, '2025-01-01T10:00:00.000Z');
  t.equal(e.saleEndsAt, null, 'an end before the start is dropped');
  const statuses = ['onsale', 'offsale', 'rescheduled', 'cancelled', 'canceled', 'postponed']
    .map((code) => parseDiscovery(event('S', { dates: { start: { dateTime: '2025-06-01T18:00:00Z' }, status: { code } } })).events[0].status);
  t.same(statuses, ['published', 'published', 'published', 'cancelled', 'cancelled', 'postponed']);
});

t.test('ticket limits from free text', async (t) => {
  t.equal(parseTicketLimit('There is an overall 2 ticket limit for this event.'), 2);
  t.equal(parseTicketLimit('There is an overall fourteen (14) ticket limit on this event.'), 14);
  t.equal(parseTicketLimit('There is an eight (8) ticket limit.'), 8);
  t.equal(parseTicketLimit('There is a four (4) ticket limit during the presale, & an eight (8) ticket limit for the general public onsale.'), 8);
  t.equal(parseTicketLimit('There is a 4 ticket limit for VIP Packages. There is an overall 6 ticket limit for this event.'), 6);
  t.equal(parseTicketLimit('Ticket limits vary per price level. Ticket limit is 4 for Presales, and 8 for public on-sale.'), 8);
  t.equal(parseTicketLimit('There is a 500 ticket limit.'), 100, 'clamped to 100');
  t.equal(parseTicketLimit('There is a 0 ticket limit.'), 1, 'clamped to 1');
  t.equal(parseTicketLimit('Tickets go fast!'), null);
  t.equal(parseTicketLimit(null), null);
  t.equal(parseDiscovery(event('T')).events[0].maxTicketsPerUser, 8, 'default 8');
  t.equal(parseDiscovery(event('T', { ticketLimit: { info: 'There is a 3 ticket limit.' } })).events[0].maxTicketsPerUser, 3);
});

t.test('price tiers and the inventory plan', async (t) => {
  t.same(parsePrices([{ type: 'standard', currency: 'USD', min: 19.99, max: 89.5 }]),
    { currency: 'USD', tiers: [{ name: 'Standard', amount: 1999 }, { name: 'Premium', amount: 8950 }] });
  t.same(parsePrices([{ type: 'standard', currency: 'JPY', min: 6800, max: 6800 }]), { currency: 'JPY', tiers: [{ name: 'Standard', amount: 6800 }] });
  t.same(parsePrices([{ type: 'standard including fees', currency: 'GBP', min: 47.45, max: 178.9 }, { type: 'standard', currency: 'GBP', min: 40, max: 159.5 }]).tiers, [
    { name: 'Standard (standard including fees)', amount: 4745 }, { name: 'Premium (standard including fees)', amount: 17890 },
    { name: 'Standard (standard)', amount: 4000 }, { name: 'Premium (standard)', amount: 15950 },
  ]);
  t.same(parsePrices([{ type: 'standard', currency: 'EUR', min: 10 }, { type: 'standard', currency: 'USD', min: 99, max: 120 }]),
    { currency: 'EUR', tiers: [{ name: 'Standard', amount: 1000 }] }, 'another currency is ignored');
  t.same(parsePrices(undefined), { currency: null, tiers: [] });
  const plan = (priceRanges: unknown) => parseDiscovery(event('I', { priceRanges })).events[0].inventory;
  t.same(plan([{ currency: 'EUR', min: 10, max: 20 }]), { kind: 'reserved' });
  t.same(plan([{ currency: 'EUR', min: 10, max: 10 }]), { kind: 'general-admission', places: 500 });
  t.same(plan(undefined), { kind: 'none' });
});

t.test('money in minor units by ISO 4217 exponent', async (t) => {
  t.same(['JPY', 'EUR', 'usd', 'KWD', 'BHD', 'ISK', 'CLF'].map(currencyExponent), [0, 2, 2, 3, 3, 0, 4]);
  t.equal(toMinorUnits(19.99, 'EUR'), 1999);
  t.equal(toMinorUnits(1.005, 'EUR'), 101, 'no binary floating-point loss');
  t.equal(toMinorUnits('12.5', 'KWD'), 12500);
  t.equal(toMinorUnits(6800, 'JPY'), 6800);
  t.equal(toMinorUnits(6800.5, 'JPY'), 6801, 'rounded half away from zero');
  t.equal(toMinorUnits(-2.5, 'USD'), -250);
  t.equal(fromMinorUnits(1999, 'EUR'), '19.99');
  t.equal(fromMinorUnits(5, 'KWD'), '0.005');
  t.equal(fromMinorUnits(6800, 'JPY'), '6800');
  t.throws(() => toMinorUnits('ten', 'EUR'), RangeError);
  t.throws(() => currencyExponent('EURO'), RangeError);
});

t.test('local time to UTC agrees with PostgreSQL around DST changes', async (t) => {
  // Expected values are what `timestamp AT TIME ZONE zone` returns in PostgreSQL 15.
  t.equal(localToUtc('2025-11-02T01:30:00', 'America/New_York')?.toISOString(), '2025-11-02T06:30:00.000Z', 'repeated hour: the later instant');
  t.equal(localToUtc('2025-03-09T02:30:00', 'America/New_York')?.toISOString(), '2025-03-09T07:30:00.000Z', 'skipped hour: offset before the change');
  t.equal(localToUtc('2025-10-05T02:30:00', 'Australia/Sydney')?.toISOString(), '2025-10-04T16:30:00.000Z');
  t.equal(localToUtc('2025-06-01T20:30:00', 'America/Mexico_City')?.toISOString(), '2025-06-02T02:30:00.000Z');
  t.equal(localToUtc('2025-02-30', 'UTC'), null, 'not a date');
});
