import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import { userEvent } from '@testing-library/user-event';
import Notes from './Notes.svelte';
import { fakeServer, invalid } from '../../lib/fakeServer';

const soap = {
  key: 'soap',
  name: 'SOAP',
  sections: [
    { key: 'subjective', label: 'Subjective', help: 'What they said' },
    { key: 'plan', label: 'Plan', help: 'What comes next' },
  ],
};

const draft = {
  id: 11,
  couple_id: 3,
  author_id: 2,
  template: 'soap',
  sections: { subjective: 'Tense start', plan: '' },
  signed_at: null,
  created_at: '2026-11-20T10:00:00Z',
  updated_at: '2026-11-20T10:00:00Z',
};

const signed = {
  ...draft,
  id: 12,
  sections: { subjective: 'Calmer', plan: 'Keep the check-ins' },
  signed_at: '2026-11-18T12:00:00Z',
  created_at: '2026-11-18T10:00:00Z',
};

afterEach(() => vi.unstubAllGlobals());

/** Queries inside the open draft editor (the new-note form below has the same labels). */
function editor() {
  return within(screen.getByRole('form', { name: 'Edit the draft' }));
}

function server(extra: Parameters<typeof fakeServer>[0] = {}) {
  return fakeServer({
    'GET /couples/3/notes': [200, { notes: [draft, signed] }],
    'GET /note-templates': [200, { templates: [soap] }],
    'GET /couples/3/appointments': [200, { appointments: [] }],
    'GET /notes/12': [200, { ...signed, addenda: [{ id: 1, note_id: 12, author_id: 2, text: 'Phoned on Friday', created_at: '2026-11-19T09:00:00Z' }] }],
    ...extra,
  });
}

describe('clinical notes', () => {
  it('edits a draft in place and saves every section', async () => {
    const fake = server({
      'PATCH /notes/11': (body) => [200, { ...draft, sections: (body as { sections: Record<string, string> }).sections }],
    });
    const user = userEvent.setup();
    render(Notes, { coupleID: 3 });

    await user.click(await screen.findByRole('button', { name: 'Edit this draft' }));
    const plan = editor().getByLabelText('Plan');
    expect(editor().getByLabelText('Subjective')).toHaveValue('Tense start');
    expect(editor().getByLabelText('Subjective')).toHaveFocus();
    await user.type(editor().getByLabelText('Subjective'), ', then softer');
    await user.type(plan, 'Repair conversation next week');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));

    expect(await screen.findByText('The draft is saved.')).toBeInTheDocument();
    expect(fake.bodies('PATCH', '/notes/11')).toEqual([
      { sections: { subjective: 'Tense start, then softer', plan: 'Repair conversation next week' } },
    ]);
    expect(screen.getByText('Repair conversation next week')).toBeInTheDocument();
    expect(screen.queryByRole('form', { name: 'Edit the draft' })).not.toBeInTheDocument();
  });

  it('points at the section the server refused', async () => {
    server({ 'PATCH /notes/11': invalid('The plan is too long.', 'sections.plan') });
    const user = userEvent.setup();
    render(Notes, { coupleID: 3 });

    await user.click(await screen.findByRole('button', { name: 'Edit this draft' }));
    await user.click(screen.getByRole('button', { name: 'Save changes' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('The plan is too long.');
    expect(editor().getByLabelText('Plan').closest('.field')).toHaveTextContent('The plan is too long.');
    expect(editor().getByLabelText('Plan')).toHaveAttribute('aria-invalid', 'true');
    expect(editor().getByLabelText('Plan')).toHaveAccessibleDescription('The plan is too long.');
    expect(editor().getByLabelText('Plan')).toHaveFocus();
    expect(editor().getByLabelText('Subjective')).toHaveAttribute('aria-invalid', 'false');
  });

  it('shows the addenda of a signed note and adds one, leaving the note as signed', async () => {
    const fake = server({
      'POST /notes/12/addenda': (body) => [
        201,
        { id: 2, note_id: 12, author_id: 2, text: (body as { text: string }).text, created_at: '2026-11-21T09:00:00Z' },
      ],
    });
    const user = userEvent.setup();
    render(Notes, { coupleID: 3 });

    expect(await screen.findByText('Phoned on Friday')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Edit .* signed/ })).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: /^Add an addendum/ }));
    const box = screen.getByLabelText('Addendum');
    expect(box).toHaveFocus();

    await user.click(screen.getByRole('button', { name: 'Add addendum' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Write the addendum before adding it.');
    expect(fake.bodies('POST', '/notes/12/addenda')).toEqual([]);

    await user.type(box, 'Partner B asked to move the session');
    await user.keyboard('{Tab}{Enter}');

    expect(await screen.findByText('The addendum is added to the signed note.')).toBeInTheDocument();
    expect(fake.bodies('POST', '/notes/12/addenda')).toEqual([{ text: 'Partner B asked to move the session' }]);
    const list = screen.getByRole('heading', { name: 'Addenda' }).nextElementSibling as HTMLElement;
    expect(within(list).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      expect.stringContaining('Phoned on Friday'),
      expect.stringContaining('Partner B asked to move the session'),
    ]);
    expect(screen.getByText('Keep the check-ins')).toBeInTheDocument();
  });

  it("shows a signed note's sections in the template's order, whatever order they arrive in", async () => {
    const alphabetical = { ...signed, sections: { plan: 'Keep the check-ins', subjective: 'Calmer' } };
    server({
      'GET /couples/3/notes': [200, { notes: [alphabetical] }],
      'GET /notes/12': [200, { ...alphabetical, addenda: [] }],
    });
    render(Notes, { coupleID: 3 });

    await screen.findByText('Keep the check-ins');
    const terms = screen.getAllByRole('term').map((dt) => dt.textContent);
    expect(terms).toEqual(['Subjective', 'Plan']);
  });

  it('opens a draft at the empty section when signing is refused for it', async () => {
    server({ 'POST /notes/11/sign': invalid('Write the plan before signing.', 'sections.plan') });
    const user = userEvent.setup();
    render(Notes, { coupleID: 3 });

    await user.click(await screen.findByRole('button', { name: 'Sign this draft' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Write the plan before signing.');
    expect(editor().getByLabelText('Plan').closest('.field')).toHaveTextContent('Write the plan before signing.');
    expect(editor().getByLabelText('Plan')).toHaveAttribute('aria-invalid', 'true');
    expect(editor().getByLabelText('Plan')).toHaveFocus();
  });

  it('keeps a new note refused at signing as a draft, open at the section to write', async () => {
    const created = { ...draft, id: 13, sections: { subjective: 'First meeting', plan: '' }, created_at: '2026-11-22T10:00:00Z' };
    const fake = server({
      'POST /couples/3/notes': [201, created],
      'POST /notes/13/sign': invalid('Write the plan before signing.', 'sections.plan'),
    });
    const user = userEvent.setup();
    render(Notes, { coupleID: 3 });

    const form = within(await screen.findByRole('region', { name: 'Write a note' }));
    await user.type(form.getByLabelText('Subjective'), 'First meeting');
    await user.click(form.getByRole('button', { name: 'Save and sign' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Write the plan before signing.');
    expect(editor().getByLabelText('Plan').closest('.field')).toHaveTextContent('Write the plan before signing.');
    expect(editor().getByLabelText('Plan')).toHaveFocus();
    expect(editor().getByLabelText('Subjective')).toHaveValue('First meeting');
    expect(form.getByLabelText('Subjective')).toHaveValue('');
    expect(fake.bodies('POST', '/couples/3/notes')).toHaveLength(1);
  });
});
