// A treatment plan as the editor holds it: lists written one item a line, turned back into the
// plan the server keeps. Pure functions, tested on their own.
import type { PlanContent, PlanGoal, TreatmentPlan } from './api';

/** One item a line, blank lines left out. */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** An empty plan to start from. */
export function emptyPlan(): PlanContent {
  return { problems: [], goals: [], review_on: null, reviewed_with_couple_on: null };
}

/** An empty goal with one objective to fill in. */
export function emptyGoal(): PlanGoal {
  return { text: '', target_on: null, objectives: [{ text: '', measure: '', target_on: null }], interventions: [] };
}

/** A copy of a plan's content to edit, so a revision never touches the version it starts from. */
export function copyContent(content: PlanContent): PlanContent {
  return JSON.parse(JSON.stringify(content)) as PlanContent;
}

/** The content as the server takes it: empty dates as null, untouched objectives left out. */
export function planToSend(content: PlanContent): PlanContent {
  const date = (d: string | null) => (d ? d : null);
  return {
    problems: content.problems.filter((p) => p.trim() !== ''),
    goals: content.goals.map((g) => ({
      text: g.text,
      target_on: date(g.target_on),
      objectives: g.objectives
        .filter((o) => o.text.trim() !== '' || o.measure.trim() !== '' || o.target_on)
        .map((o) => ({ ...o, target_on: date(o.target_on) })),
      interventions: g.interventions.filter((i) => i.trim() !== ''),
    })),
    review_on: date(content.review_on),
    reviewed_with_couple_on: date(content.reviewed_with_couple_on),
  };
}

/** The version the couple reads, if any has been signed. */
export function currentPlan(plans: TreatmentPlan[]): TreatmentPlan | undefined {
  return plans.find((p) => p.current);
}

/** The version being drafted, if any. */
export function draftPlan(plans: TreatmentPlan[]): TreatmentPlan | undefined {
  return plans.find((p) => p.status === 'draft');
}
