// Money is stored as an integer number of the currency's minor unit (cents, pence; whole yen), as
// ISO 4217 defines it. The importer converts provider prices with this, and payments reuse it.

// ISO 4217 minor-unit exponents that differ from the usual 2. Currencies not listed here use 2.
const EXPONENTS: Record<string, number> = {
  // No minor unit.
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0,
  UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  // Thousandths.
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  // Fund codes with four decimals.
  CLF: 4, UYW: 4,
};

const CURRENCY_CODE = /^[A-Z]{3}$/;

function checkCode(currency: string): string {
  const code = String(currency).toUpperCase();
  if (!CURRENCY_CODE.test(code)) throw new RangeError(`not an ISO 4217 currency code: ${JSON.stringify(currency)}`);
  return code;
}

/** Number of decimal places of the currency's minor unit (JPY 0, EUR 2, KWD 3). */
export function currencyExponent(currency: string): number {
  return EXPONENTS[checkCode(currency)] ?? 2;
}

/**
 * A decimal amount (number or numeric string, e.g. 19.99 or "19.99") in integer minor units of the
 * currency, rounded half away from zero. Works on the decimal digits rather than on `amount * 100`,
 * so binary floating point cannot turn 1.005 EUR into 100 cents.
 */
export function toMinorUnits(amount: number | string, currency: string): number {
  const exponent = currencyExponent(currency);
  const text = typeof amount === 'number' ? numberToPlainString(amount) : String(amount).trim();
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) throw new RangeError(`not a decimal amount: ${JSON.stringify(amount)}`);
  const [, sign, whole, fraction = ''] = match;
  const kept = (fraction + '0'.repeat(exponent)).slice(0, exponent);
  let minor = Number((whole || '0') + kept);
  // Round half away from zero on the first dropped digit.
  if (Number(fraction.charAt(exponent) || '0') >= 5) minor += 1;
  if (!Number.isSafeInteger(minor)) throw new RangeError(`amount out of range: ${JSON.stringify(amount)}`);
  return sign === '-' && minor !== 0 ? -minor : minor;
}

/** Integer minor units back to a decimal string with the currency's exponent ("19.99", "6800"). */
export function fromMinorUnits(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`not an integer amount: ${minor}`);
  const exponent = currencyExponent(currency);
  if (exponent === 0) return String(minor);
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  const text = `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  return minor < 0 ? `-${text}` : text;
}

// Stripe's own minor units, which differ from ISO 4217 for a few currencies
// (https://docs.stripe.com/currencies): its zero-decimal list, and ISK and UGX, which Stripe takes with
// two decimals that must be zero. HUF and TWD are two-decimal both in ISO 4217 and at Stripe (whole
// units for payouts), so they need no conversion. Three-decimal currencies keep three.
const STRIPE_ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const STRIPE_TWO_DECIMAL_OVERRIDES = new Set(['ISK', 'UGX']);

function stripeExponent(code: string): number {
  if (STRIPE_ZERO_DECIMAL.has(code)) return 0;
  if (STRIPE_TWO_DECIMAL_OVERRIDES.has(code)) return 2;
  return currencyExponent(code) === 3 ? 3 : 2;
}

/**
 * Our integer minor units (ISO 4217) as the integer `amount` Stripe expects for the currency: 5000
 * EUR cents stay 5000, 6800 JPY stay 6800, 1500 ISK become 150000. Throws when the amount cannot be
 * expressed (e.g. MGA with a fraction of an ariary).
 */
export function toStripeAmount(minor: number, currency: string): number {
  const code = checkCode(currency);
  if (!Number.isSafeInteger(minor)) throw new RangeError(`not an integer amount: ${minor}`);
  const shift = stripeExponent(code) - currencyExponent(code);
  if (shift >= 0) return minor * 10 ** shift;
  const divisor = 10 ** -shift;
  if (minor % divisor !== 0) throw new RangeError(`${minor} minor units of ${code} cannot be charged through Stripe (it takes whole units)`);
  return minor / divisor;
}

/** Stripe's amount back to our minor units (refund amounts in webhooks). */
export function fromStripeAmount(amount: number, currency: string): number {
  const code = checkCode(currency);
  const shift = stripeExponent(code) - currencyExponent(code);
  return shift >= 0 ? Math.round(amount / 10 ** shift) : amount * 10 ** -shift;
}

// Number#toString gives "1e-7" or "1e+21" for very small or large numbers; write those out in full.
function numberToPlainString(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite amount: ${n}`);
  const text = String(n);
  if (!/e/i.test(text)) return text;
  return n.toFixed(20).replace(/\.?0+$/, '');
}
