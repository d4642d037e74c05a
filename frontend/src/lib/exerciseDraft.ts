// The exercise editor's working copy and how it becomes what the server accepts: each field
// keeps only the settings its kind uses, and new fields get a key made from their label.
import type { ExerciseContent, ExerciseField, FieldKind } from './api';

export interface FieldDraft {
  /** Kept from the saved exercise; "" for a field added in the editor. */
  key: string;
  kind: FieldKind;
  label: string;
  help: string;
  required: boolean;
  /** Bounds as typed: "" means the default. */
  min: string;
  max: string;
  /** Checklist options, one per line. */
  options: string;
  maxLength: string;
}

export function blankField(kind: FieldKind = 'long_text'): FieldDraft {
  return { key: '', kind, label: '', help: '', required: true, min: '', max: '', options: '', maxLength: '' };
}

export function fieldDraft(field: ExerciseField): FieldDraft {
  return {
    key: field.key,
    kind: field.kind,
    label: field.label,
    help: field.help ?? '',
    required: field.required ?? false,
    min: field.min === undefined ? '' : String(field.min),
    max: field.max === undefined ? '' : String(field.max),
    options: (field.options ?? []).join('\n'),
    maxLength: field.max_length ? String(field.max_length) : '',
  };
}

/** A snake_case key from a label, unique among taken: "What you did" -> "what_you_did". */
export function keyFromLabel(label: string, taken: Set<string>): string {
  let base = label
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40)
    .replace(/_+$/, '');
  if (!/^[a-z]/.test(base)) base = `question${base ? `_${base}` : ''}`;
  let key = base;
  for (let n = 2; taken.has(key); n += 1) key = `${base}_${n}`;
  return key;
}

function whole(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const n = Number(trimmed);
  return Number.isInteger(n) ? n : Number.NaN;
}

/** The fields as the server takes them; keys are made for new fields. */
export function toFields(drafts: FieldDraft[]): ExerciseField[] {
  const taken = new Set(drafts.map((d) => d.key).filter((k) => k !== ''));
  return drafts.map((d) => {
    let key = d.key;
    if (key === '') {
      key = keyFromLabel(d.label, taken);
      taken.add(key);
    }
    const field: ExerciseField = { key, kind: d.kind, label: d.label.trim(), required: d.required };
    if (d.help.trim() !== '') field.help = d.help.trim();
    if (d.kind === 'scale' || d.kind === 'list') {
      const min = whole(d.min);
      const max = whole(d.max);
      if (min !== undefined) field.min = min;
      if (max !== undefined) field.max = max;
    }
    if (d.kind === 'checklist') {
      field.options = d.options
        .split('\n')
        .map((o) => o.trim())
        .filter((o) => o !== '');
    }
    if (d.kind === 'long_text' || d.kind === 'short_text') {
      const limit = whole(d.maxLength);
      if (limit !== undefined) field.max_length = limit;
    }
    return field;
  });
}

/**
 * The first problem a person should fix before saving, in words, with the field index it belongs
 * to (-1 for the exercise itself); null when the draft can be sent. The server checks again.
 */
export function draftProblem(content: Omit<ExerciseContent, 'fields'>, drafts: FieldDraft[]): { index: number; text: string } | null {
  if (content.title.trim() === '') return { index: -1, text: 'Give the exercise a title.' };
  if (drafts.length === 0) return { index: -1, text: 'Add at least one question.' };
  for (const [index, d] of drafts.entries()) {
    const n = index + 1;
    if (d.label.trim() === '') return { index, text: `Question ${n} needs its wording.` };
    for (const [name, text] of [['lowest', d.min], ['highest', d.max], ['length limit', d.maxLength]] as const) {
      if (Number.isNaN(whole(text))) return { index, text: `Question ${n}: the ${name} must be a whole number.` };
    }
    if (d.kind === 'checklist') {
      const options = d.options.split('\n').filter((o) => o.trim() !== '');
      if (options.length < 2) return { index, text: `Question ${n}: a checklist needs at least two options, one per line.` };
    }
  }
  return null;
}
