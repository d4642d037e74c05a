import type { Role } from './api';

/** How each role is named to the people using the app. */
export const roleLabels: Record<Role, string> = {
  admin: 'Practice administrator',
  therapist: 'Therapist',
  front_desk: 'Front desk',
  client: 'Partner',
};

export interface NavItem {
  href: string;
  label: string;
}

/** The navigation each role sees. Live sessions open from a couple's page or the partner's home. */
export const navByRole: Record<Role, NavItem[]> = {
  admin: [
    { href: '/', label: 'Home' },
    { href: '/members', label: 'Members' },
    { href: '/couples', label: 'Couples' },
    { href: '/calendar', label: 'Calendar' },
    { href: '/audit', label: 'Audit log' },
    { href: '/policy', label: 'Access policy' },
    { href: '/billing', label: 'Billing' },
    { href: '/mail', label: 'Mail' },
    { href: '/security', label: 'Sign-in security' },
  ],
  therapist: [
    { href: '/', label: 'Caseload' },
    { href: '/exercises', label: 'Exercises' },
    { href: '/calendar', label: 'Calendar' },
    { href: '/billing', label: 'Billing' },
    { href: '/mail', label: 'Mail' },
    { href: '/security', label: 'Sign-in security' },
  ],
  front_desk: [
    { href: '/', label: 'Home' },
    { href: '/calendar', label: 'Calendar' },
    { href: '/mail', label: 'Mail' },
    { href: '/security', label: 'Sign-in security' },
  ],
  client: [
    { href: '/', label: 'Today' },
    { href: '/progress', label: 'Progress' },
    { href: '/statement', label: 'Statement' },
    { href: '/mail', label: 'Mail' },
  ],
};

/** The role as it reads inside a sentence: "invited … to join as a therapist". */
export const roleInSentence: Record<Role, string> = {
  admin: 'a practice administrator',
  therapist: 'a therapist',
  front_desk: 'the front desk',
  client: 'a partner',
};
