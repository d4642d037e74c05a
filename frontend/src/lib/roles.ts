import type { Role } from './api';

/** How each role is named to the people using the app. */
export const roleLabels: Record<Role, string> = {
  admin: 'Practice administrator',
  therapist: 'Therapist',
  client: 'Partner',
};

export interface NavItem {
  href: string;
  label: string;
}

/** The navigation each role sees. Screens join their role's list as their APIs arrive. */
export const navByRole: Record<Role, NavItem[]> = {
  admin: [{ href: '/', label: 'Home' }],
  therapist: [{ href: '/', label: 'Home' }],
  client: [{ href: '/', label: 'Home' }],
};

/** The role as it reads inside a sentence: "invited … to join as a therapist". */
export const roleInSentence: Record<Role, string> = {
  admin: 'a practice administrator',
  therapist: 'a therapist',
  client: 'a partner',
};
