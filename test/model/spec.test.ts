/** SPEC.md lists exactly the model's rules, in order, with their statements verbatim. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RULE_IDS, RULES } from '../../model/index.js';

const spec = readFileSync(new URL('../../SPEC.md', import.meta.url), 'utf8');
const rulesSection = spec.slice(spec.indexOf('\n## Rules\n'), spec.indexOf('\n## ', spec.indexOf('\n## Rules\n') + 1));

describe('SPEC.md', () => {
  it('has a section per rule ID, in the order the model checks them, and no others', () => {
    const ids = [...rulesSection.matchAll(/^### (\S+)$/gm)].map((m) => m[1]);
    expect(ids).toEqual([...RULE_IDS]);
    expect(new Set(RULE_IDS).size).toBe(RULE_IDS.length);
  });

  it('states each rule in the words of its doc (the statement in model/rules/rule.ts)', () => {
    for (const rule of RULES) {
      // the section, with line breaks folded to spaces
      const section = rulesSection.slice(rulesSection.indexOf(`### ${rule.id}\n`)).split(/\n### /)[0]!.replace(/\s+/g, ' ');
      expect(section, rule.id).toContain(`**Statement.** ${rule.statement}`);
      expect(section, rule.id).toMatch(/\*\*Seed\.\*\* \S/);
      expect(section, rule.id).toMatch(/\*\*Checked in\.\*\* .*model\/rules\/\S+\.ts/);
      expect(section, rule.id).toContain('Runtime: `properties/`');
    }
  });

  it('mentions no rule-like ID the model does not export', () => {
    const mentioned = new Set([...spec.matchAll(/\b(?:MAP|KMEM|BOOT|STACK|TLB|GUEST|HFENCE)-[A-Z-]*[A-Z]\b/g)].map((m) => m[0]));
    for (const id of mentioned) expect(RULE_IDS, id).toContain(id);
  });
});
