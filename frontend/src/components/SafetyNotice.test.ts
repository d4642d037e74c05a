import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import SafetyNotice from './SafetyNotice.svelte';
import { fakeServer } from '../lib/fakeServer';
import type { SafetyFlag } from '../lib/api';

const names = { 7: 'Sam Rivera', 8: 'Alex Chen' };

const screening: SafetyFlag = {
  kind: 'screening',
  form_id: 9,
  measure_id: null,
  title: 'Getting started: your own intake',
  partner_id: 8,
  seat: 'a',
  submitted_at: '2026-11-30T10:00:00Z',
};
const questionnaire: SafetyFlag = {
  kind: 'questionnaire',
  form_id: null,
  measure_id: 4,
  title: 'Patient Health Questionnaire (PHQ-9)',
  partner_id: 7,
  seat: 'b',
  submitted_at: '2026-12-01T09:00:00Z',
};

afterEach(() => vi.unstubAllGlobals());

describe('safety notice', () => {
  it('lists screening and questionnaire flags in one notice, in the order the server gives', async () => {
    fakeServer({ 'GET /couples/3/safety-flags': [200, { safety_flags: [questionnaire, screening] }] });
    render(SafetyNotice, { coupleID: 3, names });

    const notice = await screen.findByRole('region', { name: 'Safety notice' });
    expect(within(notice).getByRole('alert')).toHaveTextContent(/Check on safety\. .*Only the care team sees this notice/);
    const items = within(notice).getAllByRole('listitem');
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent(/Sam Rivera \(partner B\) answered the Patient Health Questionnaire \(PHQ-9\) with thoughts of .*self-harm/);
    expect(within(items[1]).getByRole('link', { name: 'Getting started: your own intake, partner A' })).toHaveAttribute('href', '/forms/9');
    expect(items[1]).toHaveTextContent(/an answer about safety at home/);
    expect(screen.getAllByRole('region')).toHaveLength(1);
  });

  it('names the seat alone when the partner’s name is not known', async () => {
    fakeServer({ 'GET /couples/3/safety-flags': [200, { safety_flags: [questionnaire] }] });
    render(SafetyNotice, { coupleID: 3, names: {} });
    expect(await screen.findByText(/partner B answered the Patient Health Questionnaire/)).toBeInTheDocument();
  });

  it('shows nothing when no answer calls for attention', async () => {
    const fake = fakeServer({ 'GET /couples/3/safety-flags': [200, { safety_flags: [] }] });
    render(SafetyNotice, { coupleID: 3, names });
    await vi.waitFor(() => expect(fake.sent).toHaveLength(1));
    expect(screen.queryByRole('region')).not.toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('says so when the notices cannot be read', async () => {
    fakeServer({ 'GET /couples/3/safety-flags': [500, { error: { code: 'internal', message: 'Something went wrong on our side.' } }] });
    render(SafetyNotice, { coupleID: 3, names });
    expect(await screen.findByRole('alert')).toHaveTextContent(/The safety notices could not be loaded/);
  });
});
