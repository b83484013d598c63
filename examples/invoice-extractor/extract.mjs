// The rules that find an invoice's fields in its text, whatever the file format was.

const MONTHS = 'jan feb mar apr may jun jul aug sep oct nov dec'.split(' ');

/** Dates as written on invoices, to ISO 8601 (YYYY-MM-DD). */
export function isoDate(s) {
  let m = /(\d{4})-(\d{1,2})-(\d{1,2})/.exec(s);
  if (m) return `${m[1]}-${m[2].padStart(2, '0')}-${m[3].padStart(2, '0')}`;
  m = /(\d{1,2})[./](\d{1,2})[./](\d{4})/.exec(s);
  if (m) return `${m[3]}-${m[2].padStart(2, '0')}-${m[1].padStart(2, '0')}`;
  m = /(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s+(\d{4})/.exec(s);
  if (m && MONTHS.includes(m[2].toLowerCase())) {
    return `${m[3]}-${String(MONTHS.indexOf(m[2].toLowerCase()) + 1).padStart(2, '0')}-${m[1].padStart(2, '0')}`;
  }
  m = /([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})/.exec(s);
  if (m && MONTHS.includes(m[1].toLowerCase())) {
    return `${m[3]}-${String(MONTHS.indexOf(m[1].toLowerCase()) + 1).padStart(2, '0')}-${m[2].padStart(2, '0')}`;
  }
  return undefined;
}

const SYMBOLS = { '€': 'EUR', $: 'USD', '£': 'GBP' };

/** "1.234,56", "1,234.56", "1234.56" → 1234.56 */
export function amount(s) {
  const clean = s.replace(/[^\d.,-]/g, '');
  const lastSep = Math.max(clean.lastIndexOf('.'), clean.lastIndexOf(','));
  if (lastSep >= 0 && clean.length - lastSep - 1 === 2) {
    return Number(clean.slice(0, lastSep).replace(/[.,]/g, '') + '.' + clean.slice(lastSep + 1));
  }
  return Number(clean.replace(/[.,]/g, ''));
}

/** Finds the fields in `text`; each found field carries a confidence, a missing one is absent. */
export function extractFields(text, defaultCurrency) {
  const fields = {};
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const number =
    /\b(INV-\d+)\b/i.exec(text) ??
    /invoice\s*(?:no\.?|number|#)\s*[:#]?\s*([A-Z0-9-]+)/i.exec(text);
  if (number) fields['invoice number'] = { value: number[1].toUpperCase(), confidence: 0.98 };

  const dateLine = lines.find((l) => /\b(invoice\s+)?date\b/i.test(l) && !/due/i.test(l));
  const date = dateLine && isoDate(dateLine);
  if (date) fields['invoice date'] = { value: date, confidence: 0.95 };

  const vendorLine = lines.find((l) =>
    /^(from|vendor|seller|supplier|bill\s+from)\s*[:-]/i.test(l),
  );
  const vendor = vendorLine ? vendorLine.replace(/^[^:-]*[:-]\s*/, '') : lines[0];
  if (vendor) fields.vendor = { value: vendor, confidence: vendorLine ? 0.9 : 0.5 };

  const totalLine = [...lines]
    .reverse()
    .find((l) => /\b(total|amount\s+due|balance\s+due)\b/i.test(l) && !/sub\s*total/i.test(l));
  const money =
    totalLine &&
    /(?:([A-Z]{3})|([€$£]))?\s*(-?[\d.,]*\d)\s*(?:([A-Z]{3})|([€$£]))?\s*$/.exec(totalLine);
  if (money) {
    fields.total = { value: amount(money[3]), confidence: 0.93 };
    const cur = money[1] ?? money[4] ?? SYMBOLS[money[2] ?? money[5]];
    fields.currency = { value: cur ?? defaultCurrency, confidence: cur ? 0.9 : 0.4 };
  }
  const currencyLine = lines.find((l) => /^currency\s*:\s*[A-Z]{3}\b/i.test(l));
  if (currencyLine) {
    fields.currency = {
      value: currencyLine
        .replace(/^currency\s*:\s*/i, '')
        .slice(0, 3)
        .toUpperCase(),
      confidence: 0.95,
    };
  }
  return fields;
}
