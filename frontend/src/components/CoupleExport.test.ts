import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import CoupleExport from './CoupleExport.svelte';
import { fakeServer } from '../lib/fakeServer';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('couple export', () => {
  it('tells the reader what their export holds and offers it as a download and a printable page', async () => {
    const fake = fakeServer({ 'GET /couples/3/export': [200, { sections: ['couple', 'partners'] }] });
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: vi.fn(() => 'blob:export'), revokeObjectURL: vi.fn() }));
    const save = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    const user = userEvent.setup();
    render(CoupleExport, { coupleID: 3, holds: 'Everything you wrote, private items included.' });

    expect(screen.getByText('Everything you wrote, private items included.')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Open printable summary' })).toHaveAttribute('href', '/api/v1/couples/3/export.html');
    await user.click(screen.getByRole('button', { name: 'Download as JSON' }));
    expect(await screen.findByRole('status')).toHaveTextContent('The export is downloading.');
    expect(fake.sent.map((s) => `${s.method} ${s.path}`)).toEqual(['GET /couples/3/export']);
    expect(save).toHaveBeenCalledOnce();
    expect(save.mock.contexts[0]).toHaveAttribute('download', 'couple-3-export.json');
  });

  it('says why when the export is refused', async () => {
    fakeServer({ 'GET /couples/3/export': [404, { error: { code: 'not_found', message: 'We could not find that.' } }] });
    const user = userEvent.setup();
    render(CoupleExport, { coupleID: 3, holds: 'Your file.' });

    await user.click(screen.getByRole('button', { name: 'Download as JSON' }));
    expect(await screen.findByRole('status')).toHaveTextContent('We could not find that.');
  });
});
