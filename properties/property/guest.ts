/**
 * guest: generated VM lifecycles (arbitraries/guest.ts) — vm-create of generated sizes, vm-run of
 * the bundled guest on generated harts with generated store patterns and a probe (a load inside or
 * past its RAM, or a fetch past it), several VMs at once on several harts under a generated schedule
 * (vm-run-together), vm-destroy, and alloc / free commands in between — run through the console against
 * the model (model/guest.ts continued from the booted allocator). After every step: GUEST-DISJOINT,
 * GUEST-EXACT, GUEST-G-STAGE-FLAGS and KMEM-INTEGRITY on every live VM's G-stage table as read out of
 * RAM; after a destroy GUEST-RECLAIM against destroyVm; after a run HFENCE-DISCIPLINE (strict TLB
 * mode, on for the run, its guest-TLB reports against a fresh G-stage walk) and GUEST-ISOLATION (every write a hart made
 * with V = 1 lands in the VM's own frames, and what the guest reads back is what it stored or what
 * the host holds at the probed frame). Replies that differ from the model fail KMEM-SEQUENTIAL.
 */
import fc from 'fast-check';
import {
  alloc,
  createVm,
  destroyVm,
  expectedGStageRuns,
  free,
  GUEST_RAM_BASE,
  hex,
  initHost,
  linearVa,
  mergeRuns,
  PAGE_SIZE,
  type CreateError,
  type GuestAccess,
  type HostState,
  type Vm,
  type RuleId,
  type Violation,
} from '../../model/index.js';
import { GUEST_STEP_ARBITRARIES, guestLifecycleArbitrary, type GuestProbe, type GuestRun, type GuestStep } from '../arbitraries/guest.js';
import { cycleSchedule, formatSchedule, normalizeSchedule } from '../arbitraries/schedule.js';
import type { PlatformSpec } from '../arbitraries/platform.js';
import type { BootedHypervisor } from '../harness/hypervisor.js';
import { modelAllocator } from '../kmem/model.js';
import { KMEM_SYMBOLS, readAllHartTables, readKmem } from '../observe/memory.js';
import { expectedGuestReport, GuestObserver, judgeGuests, lastReply, observeGuests, printedLines, replyField, strictly, type ListedVm } from '../observe/guest.js';
import type { GStageDiff } from '../report/counterexample.js';
import { spec, type BootedFailure, type PropertyDefinition, type SuiteOptions } from './definition.js';

const CREATE_REASON: Readonly<Record<CreateError, string>> = { BadSize: 'bad-size', TooManyVms: 'too-many-vms', OutOfMemory: 'out-of-memory', NoAlignedRoot: 'no-aligned-root' };

/** Small platforms (VMs take their memory from a 16 MiB heap), several harts so VMs run beside the console hart. */
function guestPlatforms(options: SuiteOptions): fc.Arbitrary<PlatformSpec> {
  const firmware = options.image.profile.boot.firmware === 'opensbi' || options.firmware?.includes('builtin') === false ? ('opensbi' as const) : ('builtin' as const);
  return fc.constantFrom(2, 3, 4).map((harts) => spec(harts, 0, 16n, { firmware }));
}

/** One lifecycle's run: the model host, the frames alloc steps hold, the transcript so far. */
interface Run {
  readonly booted: BootedHypervisor;
  readonly observer: GuestObserver;
  host: HostState;
  held: bigint[];
  /** The harts' tables, read once: the hypervisor builds them at boot and never changes them. */
  readonly harts: ReturnType<typeof readAllHartTables>;
  readonly transcript: string[];
  /** Per hart, every VMID a VM ran with there and which VM that was (coverage: reuse). */
  readonly ranOn: Map<number, Map<number, number>>;
}

/** A failure of `rule` at step `at`, with the transcript and (for a VM the message names) its G-stage table against the model's. */
function failure(run: Run, at: number, v: Violation, guests?: readonly ListedVm[]): BootedFailure {
  const id = /\bvm (\d+)/.exec(v.message)?.[1];
  const diff = id === undefined ? undefined : gStageDiff(run, Number(id), guests);
  return { rule: v.rule, message: v.message, transcript: [...run.transcript], failedAt: at, ...(diff ? { gStageDiff: diff } : {}) };
}

function gStageDiff(run: Run, id: number, guests?: readonly ListedVm[]): GStageDiff | undefined {
  let observed: readonly ListedVm[];
  try {
    observed = guests ?? observeGuests(run.booted);
  } catch {
    return undefined;
  }
  const seen = observed.find((g) => g.id === id);
  const model = run.host.vms.find((vm) => vm.id === id);
  if (seen === undefined && model === undefined) return undefined;
  return { vm: id, ramSize: (model ?? seen)!.ramSize, expected: model ? expectedGStageRuns(model) : [], observed: seen ? mergeRuns(seen.table.runs) : [] };
}

const mismatch = (rule: RuleId, line: string, got: string, want: string): Violation => ({ rule, message: `"${line}" answered "${got}", the model says ${want}` });

/** Runs one step; a failure, or undefined when every rule and the model agree. */
function step(run: Run, s: GuestStep, at: number): BootedFailure | undefined {
  const { booted } = run;
  const harts = booted.platform.harts;
  const say = (line: string, reply: string | readonly string[]): void => {
    (typeof reply === 'string' ? [reply] : reply).forEach((r, i) => run.transcript.push(i === 0 ? `${line} -> ${r}` : `${' '.repeat(line.length)} -> ${r}`));
  };
  const judged = (extra: Parameters<typeof judgeGuests>[1] = {}): BootedFailure | undefined => {
    const guests = observeGuests(booted);
    const v = judgeGuests(booted, extra, guests, run.harts)[0];
    return v && failure(run, at, v, guests);
  };
  switch (s.kind) {
    case 'create': {
      const ram = BigInt(s.pages) * PAGE_SIZE;
      const line = `vm-create 0x${ram.toString(16)}`;
      const reply = lastReply(booted, line);
      say(line, reply);
      const model = createVm(run.host, ram);
      // judged against the model with this VM in it, so a diff shows the table the model expects
      const before = run.host;
      run.host = model.host;
      const bad = judged();
      if (bad) return bad;
      const nfree = String(model.host.kmem.nfree);
      if (model.result.ok) {
        const vm = model.result.vm;
        const want = { vm: String(vm.id), vmid: String(vm.vmid), root: hex(vm.root), frames: String(vm.frames.length + vm.tables.length + 4), nfree };
        const differs = !reply.startsWith('OK vm-create ') || Object.entries(want).some(([k, v]) => replyField(reply, k) !== v);
        if (differs) return failure(run, at, mismatch('KMEM-SEQUENTIAL', line, reply, `OK ${Object.entries(want).map(([k, v]) => `${k}=${v}`).join(' ')}`));
      } else {
        const reason = CREATE_REASON[model.result.error];
        if (!reply.startsWith('ERR vm-create ') || replyField(reply, 'reason') !== reason || replyField(reply, 'nfree') !== nfree) {
          run.host = before;
          return failure(run, at, mismatch('KMEM-SEQUENTIAL', line, reply, `ERR reason=${reason} nfree=${nfree}`));
        }
      }
      if (model.result.ok && model.result.vm.tables.filter((t) => t.level === 0).length > 1) booted.coverage.add('VM with two level-0 tables');
      return undefined;
    }
    case 'destroy': {
      const { vms } = run.host;
      if (vms.length === 0) return undefined;
      const vm = vms[s.vm % vms.length]!;
      const line = `vm-destroy ${vm.id}`;
      const reply = lastReply(booted, line);
      say(line, reply);
      const d = destroyVm(run.host, vm.id);
      if ('error' in d) throw new Error(`guest property: the model has no VM ${vm.id}`);
      const observed = readKmem(booted.machine, booted.image.elf, booted.platform);
      const bad = judged({ guestDestroys: [{ expected: d.host.kmem, observed, frames: d.freed }] });
      if (bad) return { ...bad, ...gStageDiffOf(run, vm.id) };
      const want = { vm: String(vm.id), vmid: String(vm.vmid), freed: String(d.freed.length), nfree: String(d.host.kmem.nfree) };
      if (!reply.startsWith('OK vm-destroy ') || Object.entries(want).some(([k, v]) => replyField(reply, k) !== v)) {
        return failure(run, at, mismatch('GUEST-RECLAIM', line, reply, `OK ${Object.entries(want).map(([k, v]) => `${k}=${v}`).join(' ')}`));
      }
      run.host = d.host;
      return undefined;
    }
    case 'run': {
      const { vms } = run.host;
      if (vms.length === 0) return undefined;
      const vm = vms[s.vm % vms.length]!;
      const hart = s.hart % harts;
      const line = `vm-run ${hart} ${vm.id} ${s.seed} ${s.stores} ${probeArgument(vm, s.probe)}`;
      run.observer.stale = [];
      // strict TLB mode for the run alone: guest translations exist only while a guest runs
      const { result: lines, writes } = run.observer.recording(() => strictly(booted, () => printedLines(booted, line)));
      say(line, lines.length === 0 ? ['(nothing)'] : lines);
      return judgeRuns(run, at, line, [{ vm, hart, s }], lines, writes);
    }
    case 'together': {
      const { vms } = run.host;
      if (vms.length === 0) return undefined;
      // positions to distinct VMs and distinct harts: a taken one gives way to the next one free
      const takenVms = new Set<number>();
      const takenHarts = new Set<number>();
      const runs: { vm: Vm; hart: number; s: GuestRun }[] = [];
      for (const r of s.runs) {
        if (takenVms.size === vms.length || takenHarts.size === harts) break;
        let v = r.vm % vms.length;
        while (takenVms.has(v)) v = (v + 1) % vms.length;
        let h = r.hart % harts;
        while (takenHarts.has(h)) h = (h + 1) % harts;
        takenVms.add(v);
        takenHarts.add(h);
        runs.push({ vm: vms[v]!, hart: h, s: r });
      }
      const line = `vm-run-together ${runs.map((r) => `${r.hart} ${r.vm.id} ${r.s.seed} ${r.s.stores} ${probeArgument(r.vm, r.s.probe)}`).join(' ')}`;
      const cycle = normalizeSchedule(s.schedule.map((x) => ({ hart: x.hart % harts, steps: x.steps })));
      run.observer.stale = [];
      const { result: lines, writes } = run.observer.recording(() =>
        strictly(booted, () => {
          if (cycle.length > 0) booted.machine.setSchedule({ kind: 'slices', slices: cycleSchedule(cycle, TOGETHER_SCHEDULE_STEPS), then: 'round-robin' });
          try {
            return printedLines(booted, line, runs.length + 1);
          } finally {
            booted.machine.setSchedule({ kind: 'round-robin', quantum: 1000 });
          }
        }),
      );
      say(cycle.length > 0 ? `${line} (schedule ${formatSchedule(cycle)}, repeated)` : line, lines.length === 0 ? ['(nothing)'] : lines);
      const closing = lines.filter((l) => /^(OK|ERR|PANIC|FAULT) vm-run-together /.test(l) || l.startsWith('PANIC ')).at(-1) ?? '(no reply)';
      if (closing !== `OK vm-run-together hart=${booted.bootHart ?? 0} runs=${runs.length}`) {
        // a run whose lines are another's (or missing) says first what went wrong: one guest's run reached another's
        return judgeRunLines(run, at, line, runs, lines) ?? failure(run, at, { rule: 'KMEM-SEQUENTIAL', message: `"${line}" ended "${closing}", expected "OK vm-run-together hart=${booted.bootHart ?? 0} runs=${runs.length}"` });
      }
      if (runsOverlapped(writes)) booted.coverage.add('two guests running at once');
      return judgeRuns(run, at, line, runs, lines, writes);
    }
    case 'alloc': {
      const hart = s.hart % harts;
      const line = `alloc ${hart}`;
      const reply = lastReply(booted, line);
      say(line, reply);
      const bad = judged();
      if (bad) return bad;
      const model = alloc(run.host.kmem);
      const want = model.result.ok ? `OK alloc hart=${hart} va=${hex(model.result.va)} pa=${hex(model.result.pa)} nfree=${model.state.nfree}` : `ERR alloc hart=${hart} reason=out-of-memory nfree=0`;
      if (reply !== want) return failure(run, at, mismatch('KMEM-SEQUENTIAL', line, reply, want));
      run.host = { ...run.host, kmem: model.state };
      if (model.result.ok) run.held.push(model.result.pa);
      return undefined;
    }
    case 'free': {
      if (run.held.length === 0) return undefined;
      const hart = s.hart % harts;
      const [pa] = run.held.splice(s.frame % run.held.length, 1);
      const va = linearVa(pa!, booted.platform.ramBase);
      const line = `free ${hart} ${hex(va)}`;
      const reply = lastReply(booted, line);
      say(line, reply);
      const bad = judged();
      if (bad) return bad;
      const model = free(run.host.kmem, va);
      const want = `OK free hart=${hart} va=${hex(va)} verdict=${model.verdict} nfree=${model.state.nfree}`;
      if (reply !== want) return failure(run, at, mismatch('KMEM-SEQUENTIAL', line, reply, want));
      run.host = { ...run.host, kmem: model.state };
      return undefined;
    }
  }
}

/** Steps a vm-run-together's cycle of slices is expanded to: longer than any run of the generated sizes. */
const TOGETHER_SCHEDULE_STEPS = 2_000_000;

/** The GPA a run's probe loads or fetches from (0: none). */
function probeGpa(vm: Vm, probe: GuestProbe): bigint {
  return probe.at === 'none' ? 0n : probe.at === 'inside' ? GUEST_RAM_BASE + (BigInt(probe.offset) % vm.ramSize) : GUEST_RAM_BASE + vm.ramSize + BigInt(probe.offset);
}

/** The probe as the vm-run argument: its GPA, odd for a fetch (guest/guest.S). */
function probeArgument(vm: Vm, probe: GuestProbe): string {
  return `0x${(probeGpa(vm, probe) | (probe.at === 'fetch-outside' ? 1n : 0n)).toString(16)}`;
}

/** Whether two harts' guest writes interleave: one hart wrote between two writes of another. */
function runsOverlapped(writes: readonly { hart: number }[]): boolean {
  const last = new Map<number, number>();
  writes.forEach((w, i) => last.set(w.hart, i));
  const first = new Map<number, number>();
  writes.forEach((w, i) => first.has(w.hart) || first.set(w.hart, i));
  return [...first].some(([h, i]) => writes.some((w, k) => w.hart !== h && k > i && k < last.get(h)!));
}

/**
 * Judges guest runs that ran together (or one alone): the guest rules with every run's strict-TLB
 * reports and each guest's own writes (by the hart it ran on), then each run's lines (judgeRunLines).
 */
function judgeRuns(run: Run, at: number, line: string, runs: readonly { vm: Vm; hart: number; s: GuestRun }[], lines: readonly string[], writes: readonly { hart: number; access: GuestAccess }[]): BootedFailure | undefined {
  const { booted } = run;
  for (const { vm, hart } of runs) {
    const ranHere = run.ranOn.get(hart) ?? new Map<number, number>();
    if (ranHere.has(vm.vmid) && ranHere.get(vm.vmid) !== vm.id) booted.coverage.add('VMID reused on a hart');
    ranHere.set(vm.vmid, vm.id);
    run.ranOn.set(hart, ranHere);
  }
  const guests = observeGuests(booted);
  const guestAccesses = runs.flatMap(({ vm, hart }) => {
    const guest = guests.find((g) => g.id === vm.id);
    return guest ? [{ guest, accesses: writes.filter((w) => w.hart === hart).map((w) => w.access) }] : [];
  });
  const v = judgeGuests(booted, { guestTranslations: run.observer.stale, guestAccesses }, guests, run.harts)[0];
  if (v) return failure(run, at, v, guests);
  return judgeRunLines(run, at, line, runs, lines, guests);
}

/**
 * Each run's own lines (its guest's reports and its vm-run reply, whatever else interleaves) against
 * what its guest must have seen: its checksum, the probed value, and how the run ended.
 */
function judgeRunLines(run: Run, at: number, line: string, runs: readonly { vm: Vm; hart: number; s: GuestRun }[], lines: readonly string[], guests?: readonly ListedVm[]): BootedFailure | undefined {
  const { booted } = run;
  for (const { vm, hart, s } of runs) {
    const probe = probeGpa(vm, s.probe);
    const reports: string[] = [`GUEST vm=${vm.id} hart=${hart} report=${hex(expectedGuestReport(vm.ramSize, BigInt(s.seed), BigInt(s.stores)))}`];
    if (s.probe.at === 'inside') {
      const pa = vm.frames[Number((probe - GUEST_RAM_BASE) / PAGE_SIZE)]! + (probe % PAGE_SIZE);
      const bytes = booted.machine.readPhysical(pa, 8);
      const value = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
      reports.push(`GUEST vm=${vm.id} hart=${hart} report=${hex(value)}`);
    }
    // past its RAM: a load guest-page fault (21), or an instruction guest-page fault (20) at the jump's target
    const end = s.probe.at === 'outside'
      ? new RegExp(`^ERR vm-run hart=${hart} vm=${vm.id} exit=fault cause=21 gpa=${hex(probe)} .*reports=1$`)
      : s.probe.at === 'fetch-outside'
        ? new RegExp(`^ERR vm-run hart=${hart} vm=${vm.id} exit=fault cause=20 gpa=${hex(probe)} stval=${hex(probe)} pc=${hex(probe)} reports=1$`)
        : new RegExp(`^OK vm-run hart=${hart} vm=${vm.id} exit=shutdown reason=${s.stores} reports=${reports.length}$`);
    // this run's lines: its guest's reports and its vm-run reply (others' lines interleave)
    const mine = new RegExp(`^(GUEST vm=${vm.id} hart=${hart} |(OK|ERR) vm-run hart=${hart} )|^(PANIC|FAULT) `);
    const got = lines.filter((l) => mine.test(l));
    const last = got[got.length - 1] ?? '(no reply)';
    if (got.length !== reports.length + 1 || !end.test(last)) {
      // faulting on its own RAM is a G-stage that does not map it; anything else reached the guest from outside its memory
      const rule: RuleId = (s.probe.at === 'none' || s.probe.at === 'inside') && /exit=fault/.test(last) ? 'GUEST-EXACT' : 'GUEST-ISOLATION';
      return failure(run, at, { rule, message: `vm ${vm.id} on hart ${hart}: "${line}" ended "${last}", expected ${end.source.replace(/\\/g, '')}` }, guests);
    }
    if (s.probe.at === 'outside' || s.probe.at === 'fetch-outside') booted.coverage.add('guest faulted outside its RAM');
    for (let i = 0; i < reports.length; i++) {
      if (got[i] !== reports[i]) return failure(run, at, { rule: 'GUEST-ISOLATION', message: `vm ${vm.id} on hart ${hart}: "${line}" printed "${got[i]}", but what it stored or the host holds at the probed frame is "${reports[i]}"` }, guests);
    }
  }
  return undefined;
}

/** The destroyed VM's table as it was is gone; the diff shows the model's expectation of it against nothing. */
function gStageDiffOf(run: Run, id: number): { gStageDiff?: GStageDiff } {
  const model = run.host.vms.find((vm) => vm.id === id);
  return model ? { gStageDiff: { vm: id, ramSize: model.ramSize, expected: expectedGStageRuns(model), observed: [] } } : {};
}

/** Runs a lifecycle on a freshly restored machine. */
export function runGuestLifecycle(booted: BootedHypervisor, lifecycle: readonly GuestStep[]): BootedFailure | undefined {
  const observer = GuestObserver.of(booted);
  const kmem = modelAllocator(booted.platform, readKmem(booted.machine, booted.image.elf, booted.platform), booted.shadow.ownedFrames(), 'after boot, before the first step');
  const run: Run = { booted, observer, host: initHost(kmem), held: [], harts: readAllHartTables(booted.machine), transcript: [], ranOn: new Map() };
  for (let i = 0; i < lifecycle.length; i++) {
    const f = step(run, lifecycle[i]!, i);
    if (f) return f;
  }
  return undefined;
}

export const guestProperty: PropertyDefinition = {
  name: 'guest',
  needsConsole: true,
  // readKmem and the model's allocator; an image without VMs (no vm_create ...) has nothing to judge (the VMs themselves are found through vm-list)
  needsSymbols: [...KMEM_SYMBOLS, 'vm_create', 'vm_destroy', 'vm_run'],
  rules: ['GUEST-DISJOINT', 'GUEST-EXACT', 'GUEST-G-STAGE-FLAGS', 'GUEST-RECLAIM', 'HFENCE-DISCIPLINE', 'GUEST-ISOLATION'],
  checks: ['GUEST-DISJOINT', 'GUEST-EXACT', 'GUEST-G-STAGE-FLAGS', 'GUEST-RECLAIM', 'HFENCE-DISCIPLINE', 'GUEST-ISOLATION', 'KMEM-INTEGRITY', 'KMEM-SEQUENTIAL'],
  runs: 20,
  covers: ['VMID reused on a hart', 'guest faulted outside its RAM', 'VM with two level-0 tables', 'two guests running at once'],
  arbitrary: (o) => fc.record({ platform: guestPlatforms(o), guest: guestLifecycleArbitrary() }),
  examples: () => [
    {
      // one VMID given out three times over, each VM run on hart 1: a fence by anything but the VMID leaves the previous VM's translations there
      platform: spec(2, 0, 16n),
      guest: [0, 1, 2].flatMap((k): GuestStep[] => [
        { kind: 'create', pages: 9 + k },
        { kind: 'run', hart: 1, vm: 0, seed: k, stores: 8, probe: { at: 'none' } },
        { kind: 'destroy', vm: 0 },
        { kind: 'alloc', hart: 0 },
      ]),
    },
    {
      // two VMs live at once, one past 2 MiB, a probe past the end of RAM, destroy in creation order
      platform: spec(3, 0, 16n),
      guest: [
        { kind: 'create', pages: 8 },
        { kind: 'create', pages: 513 },
        { kind: 'run', hart: 2, vm: 1, seed: 5, stores: 40, probe: { at: 'outside', offset: 0 } },
        { kind: 'run', hart: 1, vm: 0, seed: 3, stores: 12, probe: { at: 'inside', offset: 0x3008 } },
        { kind: 'destroy', vm: 0 },
        { kind: 'destroy', vm: 0 },
      ],
    },
    {
      // three VMs at once, the console hart's inline, interleaved a few instructions at a time; then two
      // of them again on other harts (each VMID now cached where another VM ran), one probing past its RAM
      platform: spec(3, 0, 16n),
      guest: [
        { kind: 'create', pages: 8 },
        { kind: 'create', pages: 20 },
        { kind: 'create', pages: 513 },
        { kind: 'together', runs: [{ hart: 1, vm: 0, seed: 1, stores: 24, probe: { at: 'none' } }, { hart: 2, vm: 1, seed: 2, stores: 24, probe: { at: 'inside', offset: 0x4000 } }, { hart: 0, vm: 2, seed: 3, stores: 8, probe: { at: 'none' } }], schedule: [{ hart: 1, steps: 3 }, { hart: 2, steps: 2 }, { hart: 0, steps: 5 }] },
        { kind: 'together', runs: [{ hart: 2, vm: 0, seed: 4, stores: 16, probe: { at: 'outside', offset: 0 } }, { hart: 1, vm: 1, seed: 5, stores: 16, probe: { at: 'fetch-outside', offset: 0 } }], schedule: [{ hart: 2, steps: 1 }, { hart: 1, steps: 1 }] },
        { kind: 'destroy', vm: 1 },
        { kind: 'destroy', vm: 0 },
      ],
    },
  ],
  check: (booted, c) => runGuestLifecycle(booted, c.guest ?? []),
};

/** The step arbitraries, for tests that build lifecycles of one kind. */
export { GUEST_STEP_ARBITRARIES };
