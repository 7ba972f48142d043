/**
 * The kill matrix, shared by the two halves of the catalogue (two files so vitest runs them in
 * parallel): against each seeded bug the default-budget suite (the properties judging the rule it
 * breaks first, stopping at the first failing property) fails with a counterexample citing the rule
 * hypervisor/mutants/README.md names.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadImage } from '../../properties/harness/image.js';
import { counterexampleSize } from '../../properties/report/counterexample.js';
import { decodeToken } from '../../properties/report/token.js';
import { propertiesChecking, replayCase, runSuite } from '../../properties/suite.js';
import { MUTANTS_MAX_RAM } from '../../cli/commands/mutants.js';
import { budget, mutantImages, mutantRules } from './support.js';

export function killMatrix(half: 0 | 1): void {
  const rules = mutantRules();
  const mutants = mutantImages().filter((_, i) => i % 2 === half);
  const rows: string[] = [];
  describe(`kill matrix, part ${half + 1} of 2`, () => {
    it('knows the rule every built mutant breaks', () => {
      expect(mutants.length).toBeGreaterThan(0);
      for (const m of mutants) expect(rules.get(m.name), `${m.name} is not in hypervisor/mutants/README.md`).toBeDefined();
    });
    for (const mutant of mutants) {
      it(`kills ${mutant.name}`, () => {
        const { seed, scale } = budget();
        const started = performance.now();
        const image = loadImage(mutant.path, mutant.name);
        // as hvspec mutants does: the properties judging the rule it breaks first
        const result = runSuite({ image, seed, scale, failFast: true, maxRamSize: MUTANTS_MAX_RAM, first: propertiesChecking(rules.get(mutant.name)!) });
        const failed = result.properties.find((p) => p.verdict === 'failed');
        const c = failed?.counterexample;
        const cited = c ? [c.rule, ...c.also.map((a) => a.rule)] : [];
        rows.push(`${mutant.name.padEnd(24)} ${String(rules.get(mutant.name)).padEnd(20)} ${failed ? `${failed.property.padEnd(16)} ${cited.join(',').padEnd(40)} size ${c ? counterexampleSize(c) : '-'}` : 'SURVIVED'}  ${((performance.now() - started) / 1000).toFixed(1)} s`);
        expect(failed, `${mutant.name} survived the suite`).toBeDefined();
        expect(cited, `${mutant.name}: counterexample cites ${cited.join(', ')}, not ${rules.get(mutant.name)}:\n${failed?.report ?? failed?.reason}`).toContain(rules.get(mutant.name));
        // the replay line re-runs it exactly: same rule, same explanation
        const token = /replay: hvspec replay (\S+)/.exec(failed!.report!)![1]!;
        const again = replayCase(decodeToken(token), image);
        expect(again.kind).toBe('failed');
        if (again.kind === 'failed') expect([again.counterexample.rule, again.counterexample.message]).toEqual([c!.rule, c!.message]);
      }, 280_000);
    }
    afterAll(() => {
      console.log(`mutant                   breaks               caught by        cites                                    shrunk size\n${rows.join('\n')}`);
    });
  });
}
