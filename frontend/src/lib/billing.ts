// Money and bills as the billing screens show them. Amounts travel as integer cents; the
// server decides every rule, these only read and write the figures.
import { API_BASE, queryString, type DateRange, type EntryKind, type LedgerEntry } from './api';

/** "$1,234.56" (or "-$12.00") for an amount in cents. */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const dollars = Math.floor(abs / 100).toLocaleString('en-US');
  return `${sign}$${dollars}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * Reads a typed amount such as "150", "150.5" or "$1,234.56" as cents; a message saying what is
 * wrong when it is not an amount. Negative amounts are allowed only when allowNegative is set.
 */
export function parseCents(text: string, allowNegative = false): number | string {
  const cleaned = text.trim().replace(/[$,\s]/g, '');
  const match = /^(-?)(\d{1,7})(?:\.(\d{1,2}))?$/.exec(cleaned);
  if (!match) return 'Enter an amount such as 120 or 120.50.';
  if (match[1] === '-' && !allowNegative) return 'Enter the amount without a minus sign.';
  const cents = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  if (cents === 0) return 'Enter an amount above zero.';
  return match[1] === '-' ? -cents : cents;
}

/** What each kind of entry is called on screen. */
export const entryKindLabels: Record<EntryKind, string> = {
  charge: 'Charge',
  payment: 'Payment',
  refund: 'Refund',
  write_off: 'Write-off',
  adjustment: 'Adjustment',
  reversal: 'Void',
};

/** The line a ledger shows for an entry: the service or fee for a charge, else its kind and how money moved. */
export function entryLabel(entry: LedgerEntry): string {
  if (entry.kind === 'charge' || entry.kind === 'reversal') {
    return [entry.cpt_code, entry.description].filter((part) => part !== '').join(' · ');
  }
  const method = entry.method ? ` (${entry.method})` : '';
  return entryKindLabels[entry.kind] + method;
}

/** The first and last day of the month holding day (YYYY-MM-DD), for a statement's default range. */
export function monthOf(day: string): Required<DateRange> {
  const [year, month] = day.split('-').map(Number);
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const mm = String(month).padStart(2, '0');
  return { from: `${year}-${mm}-01`, to: `${year}-${mm}-${String(last).padStart(2, '0')}` };
}

/** The address of a client's invoice or superbill PDF over range, for a download link. */
export function billURL(practiceID: number, userID: number, kind: 'invoice' | 'superbill', range: DateRange): string {
  return `${API_BASE}/practices/${practiceID}/members/${userID}/${kind}.pdf${queryString(range)}`;
}
