import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from './api';
import { billURL, entryLabel, formatCents, monthOf, parseCents } from './billing';

describe('billing figures', () => {
  it.each([
    [0, '$0.00'],
    [15000, '$150.00'],
    [123456, '$1,234.56'],
    [-1205, '-$12.05'],
  ])('formats %i cents as %s', (cents, text) => {
    expect(formatCents(cents)).toBe(text);
  });

  it.each([
    ['150', 15000],
    ['150.5', 15050],
    ['$1,234.56', 123456],
    [' 0.07 ', 7],
  ])('reads %s as %i cents', (text, cents) => {
    expect(parseCents(text)).toBe(cents);
  });

  it('refuses what is not an amount, a zero, and a minus sign unless asked for', () => {
    expect(parseCents('twelve')).toMatch(/Enter an amount/);
    expect(parseCents('1.234')).toMatch(/Enter an amount/);
    expect(parseCents('0')).toMatch(/above zero/);
    expect(parseCents('-20')).toMatch(/minus/);
    expect(parseCents('-20', true)).toBe(-2000);
  });

  it('gives a month its first and last day, leap years included', () => {
    expect(monthOf('2028-02-14')).toEqual({ from: '2028-02-01', to: '2028-02-29' });
    expect(monthOf('2031-12-31')).toEqual({ from: '2031-12-01', to: '2031-12-31' });
  });

  it('names entries by service or by how money moved', () => {
    const base = { cpt_code: '', description: '', method: null } as unknown as LedgerEntry;
    expect(entryLabel({ ...base, kind: 'charge', cpt_code: '90847', description: 'Couples therapy' })).toBe(
      '90847 · Couples therapy',
    );
    expect(entryLabel({ ...base, kind: 'payment', method: 'cheque' })).toBe('Payment (cheque)');
    expect(entryLabel({ ...base, kind: 'write_off' })).toBe('Write-off');
  });

  it('builds the address of a bill', () => {
    expect(billURL(3, 9, 'superbill', { from: '2031-01-01', to: '2031-01-31' })).toBe(
      '/api/v1/practices/3/members/9/superbill.pdf?from=2031-01-01&to=2031-01-31',
    );
  });
});
