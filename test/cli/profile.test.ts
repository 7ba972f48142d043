/**
 * `hvspec profile`: the profile it infers from an ELF matches what is true of the image (the
 * bundled hypervisor's DEFAULT_PROFILE, the foreign-hv fixture's hand-written profile) in every
 * field it says it inferred; taking the fields it says it did not infer from the hand-written
 * profile gives that profile back; and the inferred profile drives the call-driven allocator
 * properties on the fixture as it stands, killing its two lock bugs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { profile } from '../../cli/commands/profile.js';
import { UsageError } from '../../cli/usage.js';
import { parseElf } from '../../emulator/elf.js';
import { loadImage, runSuite } from '../../properties/index.js';
import { OPENSBI_FW_DYNAMIC } from '../../properties/harness/image.js';
import { inferProfile, ProfileInferenceError } from '../../properties/profile/infer.js';
import { renameSymbols } from '../../cli/commands/image.js';
import { linkAddress } from '../../properties/profile/model.js';
import { checkProfile, DEFAULT_PROFILE, loadProfile, type ImageProfile } from '../../properties/profile/profile.js';
import { capture, HYPERVISOR, scratch } from './support.js';

const FIXTURE = 'test/fixtures/foreign-hv';
const FOREIGN = `${FIXTURE}/build/foreign-hv.elf`;
const infer = (path: string) => inferProfile(parseElf(readFileSync(path), path));
const fields = (findings: readonly { field: string }[]) => findings.map((f) => f.field);

/** Everything of a profile the image's code and symbols determine (what `hvspec profile` claims to infer). */
function inferable(p: ImageProfile, elf: ReturnType<typeof parseElf>) {
  const { alloc, free, returns, badFree, freeListHead, nextOffset, zeroes, init, counter } = p.allocator;
  const bounds = (b: { start: string; end: string }) => [linkAddress(elf, b.start), linkAddress(elf, b.end)];
  return {
    allocator: { alloc, free, returns, badFree, freeListHead, nextOffset, zeroes, init, counter },
    panic: p.panic,
    loadOffset: p.layout.loadOffset,
    sections: [p.layout.text, p.layout.rodata, p.layout.data, p.layout.bss].map(bounds),
  };
}

describe('the inferred profile', () => {
  it('of the bundled hypervisor agrees with DEFAULT_PROFILE in every field it says it inferred', () => {
    const elf = parseElf(readFileSync(HYPERVISOR), HYPERVISOR);
    const inferred = infer(HYPERVISOR);
    const p = checkProfile(inferred.json, 'inferred');
    expect(inferable(p, elf)).toEqual(inferable(DEFAULT_PROFILE, elf));
    expect([p.console, p.boot.done]).toEqual([DEFAULT_PROFILE.console, DEFAULT_PROFILE.boot.done]);
    expect(p.allocator.frameStates).toEqual(DEFAULT_PROFILE.allocator.frameStates);
    expect(p.rules.waived).toEqual([]);
    expect(fields(inferred.inferred)).toEqual(expect.arrayContaining(['allocator.freeListHead', 'allocator.nextOffset', 'allocator.badFree', 'allocator.zeroes', 'console', 'boot.done']));
    // what the code says, beyond the profile: where the tables are switched and guests started
    expect(inferred.inferred.filter((f) => f.field === '(code)').map((f) => f.note)).toEqual(['satp is written in early_satp_switch_to_kernel_alias, kvm_install', 'hgatp is written in vm_run: the image starts guests', 'vsatp is written in vm_run']);
  });

  it("of foreign-hv agrees with its hand-written profile, and with the fields it did not infer taken from there, is that profile", () => {
    const elf = parseElf(readFileSync(FOREIGN), FOREIGN);
    const inferred = infer(FOREIGN);
    const handText = JSON.parse(readFileSync(`${FIXTURE}/foreign-hv.json`, 'utf8')) as Record<string, Record<string, unknown>>;
    const hand = checkProfile(handText, 'foreign-hv.json');
    const p = checkProfile(inferred.json, 'inferred');
    expect(inferable(p, elf)).toEqual(inferable(hand, elf));
    expect([p.boot.firmware, p.console]).toEqual(['opensbi', null]);
    // its satp writes are in start.S, assembly without symbol sizes; guest_run (guest.c) starts its guest
    expect(inferred.inferred.filter((f) => f.field === '(code)').map((f) => f.note)).toEqual(['satp is written in go_high, enter_cpu_struct', 'vsatp is written in guest_run', 'hgatp is written in guest_run: the image starts guests']);
    expect(p.rules.waived.map((w) => w.rule)).toEqual(['KMEM-FREE-VERDICT', 'KMEM-ZEROED']);
    expect(fields(inferred.notInferred)).toEqual(expect.arrayContaining(['layout.cpuStruct', 'allocator.order', 'allocator.frameStates']));
    // complete it from the hand-written file, field by field as the notes name them
    const completed = JSON.parse(JSON.stringify(inferred.json)) as Record<string, Record<string, unknown>>;
    for (const field of fields(inferred.notInferred)) {
      const [top, sub] = field.split('.') as [string, string | undefined];
      if (sub === undefined) completed[top] = handText[top]!;
      else if (sub in handText[top]!) completed[top]![sub] = handText[top]![sub];
      else delete completed[top]![sub];
    }
    completed.rules = handText.rules!;
    const done = checkProfile(completed, 'completed');
    expect({ ...done, name: hand.name }).toEqual(hand);
  });

  it('of an image whose allocator has other names has FILL_IN placeholders and says so, and still loads', () => {
    const elf = parseElf(readFileSync(HYPERVISOR), HYPERVISOR);
    const inferred = inferProfile(renameSymbols(elf, new Map([['page_get', 'kalloc'], ['page_put', 'kfree']])));
    const p = checkProfile(inferred.json, 'inferred');
    expect([p.allocator.alloc, p.allocator.free, p.allocator.freeListHead]).toEqual(['FILL_IN_alloc', 'FILL_IN_free', 'FILL_IN_free_list_head']);
    expect(fields(inferred.notInferred)).toEqual(expect.arrayContaining(['allocator.alloc', 'allocator.free', 'allocator.freeListHead']));
  });

  it('of an image loaded at RAM base (no room for a firmware) is refused, naming the address', () => {
    expect(() => infer('test/riscv/build/bench/sv39-loop.elf')).toThrow(new ProfileInferenceError("test/riscv/build/bench/sv39-loop.elf: its lowest PT_LOAD loads at 0x80000000, but a profile's image loads at RAM base (0x80000000) + layout.loadOffset, a 4 KiB multiple above 0 and below 1 GiB (the firmware owns what is below)"));
  });
});

describe.skipIf(!existsSync(OPENSBI_FW_DYNAMIC))('the inferred profile, unedited, drives foreign-hv through injected calls', () => {
  const p = checkProfile(infer(FOREIGN).json, 'inferred');
  const concurrent = (path: string) => runSuite({ image: loadImage(path, path, p), only: ['kmem-concurrent'], scale: 0.5, maxRamSize: 64n << 20n, seed: 11 }).properties[0]!;
  it('kmem-concurrent holds on the fixture', () => {
    const r = concurrent(FOREIGN);
    expect(r.verdict, r.report ?? r.reason).toBe('passed');
  }, 120_000);
  // unwaived (the inferred profile claims it), a frame handed out twice is KMEM-NO-DOUBLE-FREE's
  const killed: [string, string, RegExp][] = [
    ['kfree-no-lock', 'KMEM-CONCURRENT', /is no longer on the free list .*: no sequential order of the calls ends in this state/],
    ['kmalloc-no-lock', 'KMEM-NO-DOUBLE-FREE', /kalloc\(\) at step \d+ handed out frame 0x[0-9a-f]+ .*, which hart \d .* still holds/],
  ];
  for (const [mutant, rule, message] of killed) {
    it(`kmem-concurrent kills ${mutant} (${rule}), its schedule shown once`, () => {
      const r = concurrent(`${FIXTURE}/build/mutants/${mutant}.elf`);
      expect(r.verdict, r.reason).toBe('failed');
      expect(r.counterexample?.rule, r.report).toBe(rule);
      expect(r.counterexample?.message).toMatch(message);
      expect(r.report).toMatch(/^ {2}\(batch on harts [\d,]+: \d+ allocs and frees each, schedule (h\d×\d+ ?)+ \(repeated, \d+ slices\)\)$/m);
    }, 120_000);
  }
});

describe('hvspec profile', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes the profile to --out and the notes to standard error, naming the next command', async () => {
    const out = join(scratch(), 'foreign.json');
    const io = capture();
    expect(await profile(['--image', FOREIGN, '--out', out])).toBe(0);
    expect(loadProfile(out).allocator.freeListHead).toBe('kmem+8');
    expect(io.out()).toBe('');
    expect(io.err()).toMatch(/^inferred from test\/fixtures\/foreign-hv\/build\/foreign-hv\.elf:\n {2}allocator\.alloc +function kmalloc$/m);
    expect(io.err()).toMatch(/^not inferred .*:\n(?: {2}.*\n)* {2}layout\.cpuStruct +the bundled hypervisor's layout written/m);
    expect(io.err()).toContain(`hvspec check --image ${FOREIGN} --profile ${out}`);
  });

  it('without --out prints the profile on standard output', async () => {
    const io = capture();
    expect(await profile(['--image', HYPERVISOR])).toBe(0);
    expect(checkProfile(JSON.parse(io.out()), 'stdout').allocator.alloc).toBe('kalloc');
  });

  it('refuses bad input with the problem named, leaving an existing file as it was', async () => {
    const dir = scratch();
    const existing = join(dir, 'mine.json');
    writeFileSync(existing, 'my edits');
    const notElf = join(dir, 'notes.txt');
    writeFileSync(notElf, 'not an ELF');
    await expect(profile([])).rejects.toThrow(/^profile: --image FILE is required/);
    await expect(profile(['--image', join(dir, 'none.elf')])).rejects.toThrow(new UsageError(`profile: --image '${join(dir, 'none.elf')}': no such file`));
    await expect(profile(['--image', notElf])).rejects.toThrow(/^profile: --image .*notes\.txt.*(ELF|magic)/);
    await expect(profile(['--image', FOREIGN, '--out', existing])).rejects.toThrow(new UsageError(`profile: --out '${existing}' exists (add --force to replace it)`));
    await expect(profile(['--image', FOREIGN, '--force'])).rejects.toThrow(new UsageError('profile: --force only goes with --out FILE'));
    await expect(profile(['--image', FOREIGN, 'extra'])).rejects.toThrow(/^profile: unexpected argument 'extra'/);
    expect(readFileSync(existing, 'utf8')).toBe('my edits');
    capture();
    expect(await profile(['--image', FOREIGN, '--out', existing, '--force'])).toBe(0);
    expect(loadProfile(existing).allocator.alloc).toBe('kmalloc');
  });
});
