/**
 * read / write / exec <hart> <va> at a probe target or a held frame: what the model's map says. A
 * fault answers with the right cause (13 load, 15 store, 12 fetch page fault) and stval = va; a read
 * of a held frame returns what the program wrote there (0 after kalloc); of the image, its bytes.
 */
import { expectReply, hartAt, hx, step, type KmemReal, type KmemTestModel, type ProbeTarget } from '../model.js';
import { KmemCommand } from './base.js';
import type { ProbeAccess } from '../../arbitraries/program.js';

const CAUSE: Record<ProbeAccess, number> = { read: 13, write: 15, exec: 12 };

export class ProbeCommand extends KmemCommand<{ kind: 'probe'; hart: number; access: ProbeAccess; target: number; value: number }> {
  run(m: KmemTestModel, r: KmemReal): void {
    const hart = hartAt(m, this.data.hart);
    const { access } = this.data;
    const heldTargets: ProbeTarget[] = m.held.map((va, i) => {
      const at = va + BigInt((8 * i) % 4096);
      return { name: `held frame ${hx(va)}`, va: at, read: m.contents.get(at) ?? 0n, write: 'ok', exec: 'fault' };
    });
    const usable = [...m.probeTargets, ...heldTargets].filter((t) => t[access] !== 'never');
    const target = usable[this.data.target % usable.length]!;
    const value = BigInt(this.data.value);
    this.sent = `${access} ${hart} ${hx(target.va)}${access === 'write' ? ` ${hx(value)}` : ''}`;
    const outcome = target[access];
    const faultLine = new RegExp(`^FAULT hart=${hart} cause=${CAUSE[access]} stval=${hx(target.va)} pc=0x[0-9a-f]+ kind=${target.guard ? '(probe|stack-overflow)' : 'probe'} cmd=${access}$`);
    // the model's map decides every answer (the guard page's: STACK-GUARD)
    step(m, r, this.sent, expectReply(target.guard ? 'STACK-GUARD' : 'MAP-EXACT', (lines) => {
      const [line] = lines;
      if (lines.length !== 1 || line === undefined) return 'expected one reply line';
      if (outcome === 'fault') return faultLine.test(line) ? undefined : `expected a page fault (cause ${CAUSE[access]}, stval ${hx(target.va)}): ${target.name} is not ${access === 'read' ? 'readable' : access === 'write' ? 'writable' : 'executable'} in the model's map`;
      if (access === 'read') {
        const want = outcome === 'any' ? '0x[0-9a-f]+' : hx(outcome as bigint);
        return new RegExp(`^OK read hart=${hart} va=${hx(target.va)} value=${want}$`).test(line) ? undefined : `expected OK read ... value=${want} (${target.name})`;
      }
      if (access === 'write') return line === `OK write hart=${hart} va=${hx(target.va)} value=${hx(value)}` ? undefined : `expected OK write (${target.name} is writable)`;
      return line === `OK exec hart=${hart} va=${hx(target.va)}` ? undefined : `expected OK exec (${target.name} returns)`;
    }));
    if (access === 'write' && outcome === 'ok') m.contents.set(target.va, value);
  }
}
