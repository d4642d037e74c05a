// Who can read a partner's writing, said plainly. The words are the same everywhere a
// visibility is chosen or shown, so a partner never has to translate "therapist" into people.
import type { Visibility } from './api';

export const visibilities: Visibility[] = ['private', 'therapist', 'partner'];

/** Who will see it, from the author's side: the label of each choice. */
export const visibilityForAuthor: Record<Visibility, string> = {
  private: 'Only you',
  therapist: 'You and your therapist',
  partner: 'You, your therapist and your partner',
};

/** What each choice means in practice, shown under the label. */
export const visibilityHint: Record<Visibility, string> = {
  private: 'Nobody else can read it, not even your therapist. You can share it later.',
  therapist: 'Your therapist can read it; your partner cannot.',
  partner: 'Your partner can read it too, as well as your therapist.',
};

/** Who will see what a therapist adds to a couple's record (a document), from the therapist's side. */
export const visibilityForStaffAuthor: Record<Visibility, string> = {
  private: 'Only you',
  therapist: 'The care team',
  partner: 'The care team and both partners',
};

/** Who can see someone else's writing, for readers other than its author. */
export const visibilityForReader: Record<Visibility, string> = {
  private: 'Only its author',
  therapist: 'Its author and the care team',
  partner: 'Both partners and the care team',
};

/** A sentence confirming who sees an item now: "Only you can see this." */
export function whoSeesSentence(visibility: Visibility): string {
  switch (visibility) {
    case 'private':
      return 'Only you can see this.';
    case 'therapist':
      return 'You and your therapist can see this.';
    case 'partner':
      return 'You, your therapist and your partner can see this.';
  }
}
