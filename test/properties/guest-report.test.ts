/**
 * The guest property's counterexamples: the VM's G-stage table as a ptdump diff against the model
 * (guest-physical range, host-physical range, flags), and a token that replays the case exactly.
 */
import { describe, expect, it } from 'vitest';
import { loadImage } from '../../properties/harness/image.js';
import { spec } from '../../properties/property/definition.js';
import { guestProperty } from '../../properties/property/guest.js';
import { formatCounterexample } from '../../properties/report/counterexample.js';
import { decodeToken } from '../../properties/report/token.js';
import { BootCache } from '../../properties/runner/boot-cache.js';
import { runCase } from '../../properties/runner/case.js';
import { replayCase } from '../../properties/suite.js';
import { MUTANTS_DIR } from './support.js';

describe('a guest counterexample', () => {
  it('shows a failing VM as its G-stage table against the model, and replays it from the token', () => {
    const mutant = loadImage(`${MUTANTS_DIR}/guest-ram-one-page-short.elf`, 'guest-ram-one-page-short');
    const c = { platform: spec(2, 0, 16n), guest: [{ kind: 'create' as const, pages: 9 }] };
    const outcome = runCase(guestProperty, new BootCache(mutant), c);
    expect(outcome.kind).toBe('failed');
    if (outcome.kind !== 'failed') return;
    const text = formatCounterexample(outcome.counterexample);
    expect(outcome.counterexample.rule).toBe('GUEST-EXACT');
    expect(text).toMatch(/vm 1's G-stage table, - expected \(model\) \+ observed:/);
    expect(text).toMatch(/region\s+GPA range\s+host PA range/);
    // the model's last page is the row the mutant lacks
    expect(text).toMatch(/^ {2}- guest RAM\s+0x00000000_80008000-0x00000000_80009000 /m);
    const token = /replay: hvspec replay (\S+)/.exec(text)![1]!;
    const again = replayCase(decodeToken(token), mutant);
    expect(again.kind === 'failed' && [again.counterexample.rule, again.counterexample.message]).toEqual([outcome.counterexample.rule, outcome.counterexample.message]);
  });
});
