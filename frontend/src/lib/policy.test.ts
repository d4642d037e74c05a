import { describe, expect, it } from 'vitest';
import { groupPolicy } from './policy';

describe('the access table in plain words', () => {
  it('groups rules by object, one row per role and relation, in table order', () => {
    const groups = groupPolicy([
      { role: 'client', relation: 'couple', object: 'couple', action: 'read' },
      { role: 'admin', relation: 'practice', object: 'couple', action: 'list' },
      { role: 'admin', relation: 'practice', object: 'couple', action: 'read' },
      { role: 'therapist', relation: 'care_team', object: 'note', action: 'create' },
      { role: 'therapist', relation: 'care_team', object: 'couple', action: 'read' },
    ]);

    expect(groups.map((g) => g.title)).toEqual(['Couples', 'Clinical notes']);
    expect(groups[0].rows).toEqual([
      { role: 'Administrators', relation: 'anywhere in the practice', actions: ['see the list', 'open'] },
      { role: 'Therapists', relation: 'for couples they care for', actions: ['open'] },
      { role: 'Partners', relation: 'their own couple’s', actions: ['open'] },
    ]);
  });

  it('still reads for objects and actions it has no words for', () => {
    const [group] = groupPolicy([{ role: 'therapist', relation: 'care_team', object: 'session_recording', action: 'play_back' }]);

    expect(group.title).toBe('Session recording');
    expect(group.rows[0].actions).toEqual(['play back']);
  });

  it('shows nothing for an empty table', () => {
    expect(groupPolicy([])).toEqual([]);
  });
});
