/**
 * Console scripts for the hypervisor's debug console (hypervisor/README.md, "Console protocol"),
 * written as data so that any machine that runs the image can play them: QEMU here, our emulator
 * later, with identical replies required.
 *
 * A step sends one line and expects a fixed number of reply lines, each matched against a pattern.
 * Patterns and the sent line may use `{name}` placeholders: values from the ready line, from the
 * image's symbols, captured by earlier steps (named groups), or derived by a step's `derive`.
 * A reply line is any line starting with OK, ERR, FAULT, KMEM or PANIC; everything else (firmware
 * banner, boot messages) is not part of the protocol.
 */

export type Vars = Record<string, string>;

export interface ConsoleStep {
  /** Why the step is there; printed when it fails. */
  readonly why: string;
  /** Values computed from the variables so far, available to this step's line and patterns. */
  readonly derive?: (vars: Readonly<Vars>) => Vars;
  /** The line sent (placeholders filled in). */
  readonly send: string;
  /**
   * One regular-expression source per expected reply line, in order (placeholders filled in,
   * escaped), or a function of the variables giving them (when the count depends on the machine).
   */
  readonly expect: readonly string[] | ((vars: Readonly<Vars>) => readonly string[]);
  /**
   * The reply lines may come in any order (several harts answering at once: vm-run-together): as
   * many lines as patterns are read, and each pattern must match a line of its own.
   */
  readonly unordered?: boolean;
  /** A further condition on the variables after matching; returns a problem or undefined. */
  readonly check?: (vars: Readonly<Vars>) => string | undefined;
}

/** A reply line of the protocol (the rest of the console output is not). */
export const REPLY_LINE = /^(OK|ERR|FAULT|KMEM|PANIC|GUEST) /;

/** The line the hypervisor prints once every hart serves commands. */
export const READY_LINE =
  /^hvspec-hv ready harts=(?<harts>\d+) boot=(?<boot>\d+) ram_base=(?<ram_base>0x[0-9a-f]+) ram_size=(?<ram_size>0x[0-9a-f]+) nfree=(?<nfree>\d+) head=(?<head>0x[0-9a-f]+)$/;

export const PANIC_LINE = /^PANIC hart=\d+ .+$/;

export const VAS_RAM = 0xffff_ffe0_0000_0000n;
export const VAS_KERNEL = 0xffff_ffc0_0000_0000n;
export const VAS_CPU_STRUCT = 0xffff_ffc0_4000_0000n;
const PAGE = 0x1000n;

export const hex = (v: bigint): string => `0x${v.toString(16)}`;
const big = (vars: Readonly<Vars>, name: string): bigint => {
  const v = vars[name];
  if (v === undefined) throw new Error(`console script: variable {${name}} is not set`);
  return BigInt(v);
};

/** Replaces `{name}` in `text` by the variable, escaped for a regular expression when `forRegex`. */
export function fill(text: string, vars: Readonly<Vars>, forRegex: boolean): string {
  return text.replace(/\{([a-z_][a-z_0-9]*)\}/gi, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`console script: variable {${name}} is not set (in "${text}")`);
    return forRegex ? v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : v;
  });
}

/** Where a script failed: the step, what was sent, what came back. */
export class ScriptMismatch extends Error {}

/** What a machine must offer to play a script. */
export interface ConsoleTransport {
  sendLine(line: string): void;
  /** The next reply line (see REPLY_LINE); rejects after timeoutMs. */
  nextReply(timeoutMs: number): Promise<string>;
}

/**
 * Plays `steps` on `console`, starting from `initial` variables; returns the final variables and
 * the transcript ("> sent" and "< reply" lines). Throws ScriptMismatch at the first difference.
 */
export async function runScript(
  console: ConsoleTransport,
  steps: readonly ConsoleStep[],
  initial: Readonly<Vars>,
  timeoutMs = 10_000,
): Promise<{ vars: Vars; transcript: string[] }> {
  const vars: Vars = { ...initial };
  const transcript: string[] = [];
  for (const [index, step] of steps.entries()) {
    if (step.derive) Object.assign(vars, step.derive(vars));
    const line = fill(step.send, vars, false);
    transcript.push(`> ${line}`);
    console.sendLine(line);
    const expected = typeof step.expect === 'function' ? step.expect(vars) : step.expect;
    if (step.unordered) {
      const replies: string[] = [];
      for (let k = 0; k < expected.length; k++) {
        try {
          replies.push(await console.nextReply(timeoutMs));
        } catch (e) {
          throw new ScriptMismatch(`step ${index} (${step.why}): sent "${line}", waited for reply ${k + 1} of ${expected.length}: ${(e as Error).message}\n${transcript.join('\n')}`);
        }
        transcript.push(`< ${replies[k]}`);
      }
      const unused = [...replies];
      for (const source of expected) {
        const pattern = new RegExp(fill(source, vars, true));
        const at = unused.findIndex((r) => pattern.test(r));
        if (at < 0) throw new ScriptMismatch(`step ${index} (${step.why}): sent "${line}", expected a line /${pattern.source}/ among the replies, got ${JSON.stringify(unused)}\n${transcript.join('\n')}`);
        Object.assign(vars, pattern.exec(unused[at]!)!.groups ?? {});
        unused.splice(at, 1);
      }
    } else for (const source of expected) {
      const pattern = new RegExp(fill(source, vars, true));
      let reply: string;
      try {
        reply = await console.nextReply(timeoutMs);
      } catch (e) {
        throw new ScriptMismatch(`step ${index} (${step.why}): sent "${line}", waited for /${pattern.source}/: ${(e as Error).message}\n${transcript.join('\n')}`);
      }
      transcript.push(`< ${reply}`);
      const m = pattern.exec(reply);
      if (!m) throw new ScriptMismatch(`step ${index} (${step.why}): sent "${line}", expected /${pattern.source}/, got "${reply}"\n${transcript.join('\n')}`);
      Object.assign(vars, m.groups ?? {});
    }
    const problem = step.check?.(vars);
    if (problem) throw new ScriptMismatch(`step ${index} (${step.why}): ${problem}\n${transcript.join('\n')}`);
  }
  return { vars, transcript };
}

/** Variables from the ready line. */
export function readyVars(line: string): Vars | undefined {
  const m = READY_LINE.exec(line);
  return m?.groups ? { ...m.groups } : undefined;
}

const X = '0x[0-9a-f]+';
const kmemReport = (verdict: string): string => `^KMEM hart={boot} kfree va=${X} verdict=${verdict}$`;
const freeRejected = (va: string, verdict: string): string[] => [
  kmemReport(verdict),
  `^ERR free hart={boot} va=${va} verdict=${verdict} nfree={nfree}$`,
];
const statUnchanged: ConsoleStep = {
  why: 'the free list is unchanged',
  send: 'stat',
  expect: ['^OK stat hart={boot} nfree={nfree} head={head} frames=\\d+$'],
};

/**
 * The script every configuration plays: console basics, LIFO allocation, every kfree verdict,
 * the cpu struct's guard page, probes of the final map, a cross-hart batch and bad input.
 * Needs the ready-line variables and `probe_ret` (the image's symbol, hex).
 */
export function standardScript(): ConsoleStep[] {
  return [
    {
      why: 'the console lists the harts of the device tree',
      send: 'harts',
      expect: ['^OK harts hart={boot} n={harts} boot={boot} ids=(?<ids>\\d+(,\\d+)*)$'],
      check: (v) => (v.ids!.split(',').length === Number(v.harts) ? undefined : `ids ${v.ids} do not number ${v.harts}`),
    },
    {
      why: 'stat agrees with the ready line',
      derive: (v) => ({ last: v.ids!.split(',').at(-1)! }),
      send: 'stat',
      expect: ['^OK stat hart={boot} nfree={nfree} head={head} frames=(?<frames>\\d+)$'],
      check: (v) => (BigInt(v.frames!) * PAGE === big(v, 'ram_size') ? undefined : `frames ${v.frames} is not ram_size / 4 KiB`),
    },
    { why: 'the head is a free frame', send: 'frame {head}', expect: ['^OK frame hart={boot} va={head} state=FREE$'] },
    {
      why: 'the first alloc returns the head, the highest free frame (LIFO from an ascending walk)',
      derive: (v) => ({
        head_pa: hex(big(v, 'head') - VAS_RAM + big(v, 'ram_base')),
        nfree_1: String(big(v, 'nfree') - 1n),
        nfree_2: String(big(v, 'nfree') - 2n),
      }),
      send: 'alloc {last}',
      expect: ['^OK alloc hart={last} va={head} pa={head_pa} nfree={nfree_1}$'],
    },
    {
      why: 'no frame above the head is free',
      derive: (v) => ({ above: hex(big(v, 'head') + PAGE) }),
      send: 'frame {above}',
      expect: ['^OK frame hart={boot} va={above} state=(ALLOCATED|RESERVED|OUTSIDE)$'],
    },
    {
      why: 'the last frame of RAM is not free either (frames are handed out from the top)',
      derive: (v) => ({ top: hex(VAS_RAM + big(v, 'ram_size') - PAGE) }),
      send: 'frame {top}',
      expect: ['^OK frame hart={boot} va={top} state=(ALLOCATED|RESERVED)$'],
    },
    {
      why: 'the second alloc (another hart) returns a lower frame',
      send: 'alloc {boot}',
      expect: [`^OK alloc hart={boot} va=(?<va1>${X}) pa=${X} nfree={nfree_2}$`],
      check: (v) => (big(v, 'va1') < big(v, 'head') ? undefined : `second frame ${v.va1} is not below the first ${v.head}`),
    },
    { why: 'kalloc returns zeroed pages', send: 'read {last} {head}', expect: ['^OK read hart={last} va={head} value=0x0$'] },
    { why: 'write through the linear map', send: 'write {last} {head} 0x1122334455667788', expect: ['^OK write hart={last} va={head} value=0x1122334455667788$'] },
    { why: 'the linear map is shared by the harts', send: 'read {boot} {head}', expect: ['^OK read hart={boot} va={head} value=0x1122334455667788$'] },
    { why: 'free the second frame', send: 'free {last} {va1}', expect: ['^OK free hart={last} va={va1} verdict=Ok nfree={nfree_1}$'] },
    { why: 'free the first frame', send: 'free {boot} {head}', expect: ['^OK free hart={boot} va={head} verdict=Ok nfree={nfree}$'] },
    { ...statUnchanged, why: 'freeing in reverse order restores the list' },
    { why: 'a double free is reported', send: 'free {boot} {head}', expect: freeRejected('{head}', 'DoubleFree') },
    { ...statUnchanged, why: 'a double free leaves the list intact' },
    {
      why: 'a misaligned pointer is reported',
      derive: (v) => ({ head_8: hex(big(v, 'head') + 8n) }),
      send: 'free {boot} {head_8}',
      expect: freeRejected('{head_8}', 'Misaligned'),
    },
    { why: 'a pointer below the linear map is out of range', send: 'free {boot} 0x1000', expect: freeRejected('0x1000', 'OutOfRange') },
    {
      why: 'the first page past RAM is out of range',
      derive: (v) => ({ ram_end: hex(VAS_RAM + big(v, 'ram_size')) }),
      send: 'free {boot} {ram_end}',
      expect: freeRejected('{ram_end}', 'OutOfRange'),
    },
    {
      why: 'misaligned is judged before out of range',
      send: 'free {boot} 0x1001',
      expect: freeRejected('0x1001', 'Misaligned'),
    },
    { why: "the firmware's frames are reserved", send: 'free {boot} 0xffffffe000000000', expect: freeRejected('0xffffffe000000000', 'Reserved') },
    { why: "the image's frames are reserved", send: 'free {boot} 0xffffffe000200000', expect: freeRejected('0xffffffe000200000', 'Reserved') },
    { ...statUnchanged, why: 'failed frees change nothing' },
    { why: 'firmware frames are RESERVED in the state table', send: 'frame 0xffffffe000000000', expect: ['^OK frame hart={boot} va=0xffffffe000000000 state=RESERVED$'] },
    { why: 'alloc again for free2', send: 'alloc {boot}', expect: ['^OK alloc hart={boot} va={head} pa={head_pa} nfree={nfree_1}$'] },
    {
      why: 'free twice in a row: the second is a double free',
      send: 'free2 {boot} {head}',
      expect: [kmemReport('DoubleFree'), '^ERR free2 hart={boot} va={head} first=Ok second=DoubleFree nfree={nfree}$'],
    },
    { why: 'a shallow recursion returns', send: 'recurse {last} 8', expect: ['^OK recurse hart={last} depth=8 frame=256$'] },
    {
      why: 'a deep recursion faults in the guard page',
      send: 'recurse {last} 100000',
      expect: [`^FAULT hart={last} cause=15 stval=(?<stval>${X}) pc=${X} kind=stack-overflow cmd=recurse$`],
      check: (v) => {
        const s = big(v, 'stval');
        return s >= VAS_CPU_STRUCT && s < VAS_CPU_STRUCT + PAGE ? undefined : `stval ${v.stval} is outside the guard page`;
      },
    },
    { why: 'the hart still answers after an overflow', send: 'recurse {last} 20', expect: ['^OK recurse hart={last} depth=20 frame=256$'] },
    {
      why: 'the console hart survives its own overflow',
      send: 'recurse {boot} 100000',
      expect: ['^FAULT hart={boot} cause=15 stval=0xffffffc040000[0-9a-f]{3} pc=0x[0-9a-f]+ kind=stack-overflow cmd=recurse$'],
    },
    { ...statUnchanged, why: 'the console answers after its overflow' },
    { why: 'VA 0 is unmapped', send: 'read {last} 0x0', expect: ['^FAULT hart={last} cause=13 stval=0x0 pc=0x[0-9a-f]+ kind=probe cmd=read$'] },
    {
      why: 'the identity mapping of RAM is gone (the image at its physical address)',
      derive: (v) => ({ image_pa: hex(big(v, 'ram_base') + 0x20_0000n) }),
      send: 'read {last} {image_pa}',
      expect: ['^FAULT hart={last} cause=13 stval={image_pa} pc=0x[0-9a-f]+ kind=probe cmd=read$'],
    },
    { why: 'the guard page is unmapped', send: 'write {last} 0xffffffc040000000 1', expect: ['^FAULT hart={last} cause=15 stval=0xffffffc040000000 pc=0x[0-9a-f]+ kind=probe cmd=write$'] },
    { why: 'nothing is mapped past the cpu struct', send: 'read {last} 0xffffffc040008000', expect: ['^FAULT hart={last} cause=13 stval=0xffffffc040008000 pc=0x[0-9a-f]+ kind=probe cmd=read$'] },
    { why: 'the cpu info page is readable', send: 'read {last} 0xffffffc040005008', expect: ['^OK read hart={last} va=0xffffffc040005008 value=0x{last_hex}$'], derive: (v) => ({ last_hex: BigInt(v.last!).toString(16) }) },
    { why: 'text is readable', send: 'read {last} 0xffffffc000200000', expect: ['^OK read hart={last} va=0xffffffc000200000 value=0x[0-9a-f]+$'] },
    { why: 'text is not writable', send: 'write {last} 0xffffffc000200000 0', expect: ['^FAULT hart={last} cause=15 stval=0xffffffc000200000 pc=0x[0-9a-f]+ kind=probe cmd=write$'] },
    { why: 'text is executable', send: 'exec {last} {probe_ret}', expect: ['^OK exec hart={last} va={probe_ret}$'] },
    { why: 'the linear map is not executable', send: 'exec {last} {head}', expect: ['^FAULT hart={last} cause=12 stval={head} pc={head} kind=probe cmd=exec$'] },
    { why: 'devices are not executable', send: 'exec {last} 0x10000000', expect: ['^FAULT hart={last} cause=12 stval=0x10000000 pc=0x10000000 kind=probe cmd=exec$'] },
    {
      why: 'the last page of RAM is mapped',
      derive: (v) => ({ ram_last: hex(VAS_RAM + big(v, 'ram_size') - 8n) }),
      send: 'read {last} {ram_last}',
      expect: ['^OK read hart={last} va={ram_last} value=0x[0-9a-f]+$'],
    },
    { why: 'an unknown command', send: 'hello world', expect: ['^ERR unknown hart={boot} reason=unknown-command word=hello$'] },
    { why: 'a missing argument', send: 'alloc', expect: ['^ERR alloc hart={boot} reason=bad-arguments$'] },
    { why: 'a hart that does not exist', send: 'alloc 99', expect: ['^ERR alloc hart=99 reason=no-such-hart$'] },
    { why: 'a bad number', send: 'free {boot} zz', expect: ['^ERR free hart={boot} reason=bad-number arg=zz$'] },
    { why: 'a bad batch op', send: 'batch {boot} x5', expect: ['^ERR batch hart={boot} reason=bad-op arg=x5$'] },
    { why: 'a line longer than the buffer', send: 'x'.repeat(300), expect: ['^ERR unknown hart={boot} reason=line-too-long$'] },
    { why: 'stat takes no arguments', send: 'stat 1', expect: ['^ERR stat hart={boot} reason=bad-arguments$'] },
    { ...statUnchanged, why: 'bad input changes nothing' },
    // Last: after concurrent batches the order of the free list depends on timing, so nothing
    // after them may print a frame address (replies stay comparable between machines).
    ...batch('a100 f100', 100, 100),
    ...batch('a10 f5 a20 f25 a1 f1', 31, 31),
  ];
}

/** A balanced batch on every hart: one line per hart in `ids` order, then the summary with the count restored. */
function batch(ops: string, allocs: number, frees: number): ConsoleStep[] {
  return [
    {
      why: `a batch (${ops}) started together on every hart`,
      send: `batch {ids} ${ops}`,
      expect: (v) => [
        ...v.ids!.split(',').map((id) => `^OK batch hart=${id} allocs=${allocs} frees=${frees} failed=0 held=0$`),
        `^OK batch hart={boot} harts={harts} nfree={nfree}$`,
      ],
    },
  ];
}

/** Guest RAM's first GPA (hypervisor/README.md, "Guests"). */
const GUEST_RAM_BASE = 0x8000_0000n;

/** The frames vm-create holds for RAM of `size` bytes below 1 GiB: the pages, a level-0 table per 2 MiB begun, one level-1 table, the 16 KiB root. */
function vmFramesHeld(size: bigint): bigint {
  const pages = size / PAGE;
  return pages + (pages + 511n) / 512n + 1n + 4n;
}

/** GPA of the bundled guest's store slot i (guest/guest.S: data page 3 + (seed + 7 i) mod (pages - 3), offset 8 i mod 2 KiB). */
function guestSlot(size: bigint, seed: bigint, i: bigint): bigint {
  return GUEST_RAM_BASE + (3n + ((seed + 7n * i) % (size / PAGE - 3n))) * PAGE + ((8n * i) & 0x7f8n);
}

/** The bundled guest's report: the sum of what it stored and read back, GPA ^ seed per slot, mod 2^64. */
export function guestReport(size: bigint, seed: bigint, stores: bigint): bigint {
  let sum = 0n;
  for (let i = 0n; i < stores; i++) sum = BigInt.asUintN(64, sum + (guestSlot(size, seed, i) ^ seed));
  return sum;
}

/** A vm-create of `size` that must succeed as VM handle `vm` with VMID `vmid`; captures {<name>_root} and checks frames and nfree. */
function vmCreate(name: string, size: bigint, vm: number, vmid: number, nfreeBefore: string): ConsoleStep {
  const frames = vmFramesHeld(size);
  return {
    why: `create VM ${vm} with ${size} bytes of guest RAM: the lowest free VMID ${vmid}, ${frames} frames held`,
    send: `vm-create ${hex(size)}`,
    expect: [`^OK vm-create hart={boot} vm=${vm} vmid=${vmid} ram=${hex(size)} root=(?<${name}_root>${X}) frames=${frames} nfree=(?<${name}_nfree>\\d+)$`],
    check: (v) => {
      if (big(v, `${name}_root`) % 0x4000n !== 0n) return `root ${v[`${name}_root`]} is not 16 KiB aligned`;
      const want = big(v, nfreeBefore) - frames;
      return big(v, `${name}_nfree`) === want ? undefined : `nfree ${v[`${name}_nfree`]} is not ${nfreeBefore} - ${frames} = ${want}`;
    },
  };
}

/** A vm-run that ends in a shutdown: one GUEST report per the guest's rules (and the probe's value when probing), then OK. */
function vmRunShutdown(hart: string, vm: number, size: bigint, seed: bigint, stores: bigint, probe?: bigint): ConsoleStep {
  const probed = probe === undefined ? [] : [`^GUEST vm=${vm} hart={${hart}} report=(?<probe_value>${X})$`];
  return {
    why: `the bundled guest on hart {${hart}} in VM ${vm}: ${stores} stores${probe === undefined ? '' : `, then a load from GPA ${hex(probe)}`}, shutdown`,
    send: `vm-run {${hart}} ${vm} ${seed} ${stores} ${probe === undefined ? 0 : hex(probe)}`,
    expect: [`^GUEST vm=${vm} hart={${hart}} report=${hex(guestReport(size, seed, stores))}$`, ...probed, `^OK vm-run hart={${hart}} vm=${vm} exit=shutdown reason=${stores} reports=${1 + probed.length}$`],
  };
}

/**
 * A vm-run whose final probe (an ld from `gpa`) is a load guest-page fault (cause 21) at `faulting`:
 * stval the guest VA and htval the GPA of the part that faulted (MMU off: VA = GPA; for a load
 * straddling the end of RAM, the first byte past it: priv. 1.12, 3.1.16 and 8.6.3).
 */
/**
 * A vm-run whose final probe jumps to `gpa` (the odd probe argument: guest/guest.S), outside VM
 * `vm`'s RAM: an instruction guest-page fault (cause 20) with stval, htval's GPA and the pc all `gpa`.
 */
function vmRunFetchFault(hart: string, vm: number, size: bigint, seed: bigint, stores: bigint, gpa: bigint): ConsoleStep {
  return {
    why: `a jump to GPA ${hex(gpa)}, outside VM ${vm}'s RAM, is an instruction guest-page fault there that ends the run`,
    send: `vm-run {${hart}} ${vm} ${seed} ${stores} ${hex(gpa | 1n)}`,
    expect: [`^GUEST vm=${vm} hart={${hart}} report=${hex(guestReport(size, seed, stores))}$`, `^ERR vm-run hart={${hart}} vm=${vm} exit=fault cause=20 gpa=${hex(gpa)} stval=${hex(gpa)} pc=${hex(gpa)} reports=1$`],
  };
}

function vmRunFault(hart: string, vm: number, size: bigint, seed: bigint, stores: bigint, gpa: bigint, faulting = gpa): ConsoleStep {
  return {
    why: `a load from GPA ${hex(gpa)}, outside VM ${vm}'s RAM, is a load guest-page fault at ${hex(faulting)} that ends the run`,
    send: `vm-run {${hart}} ${vm} ${seed} ${stores} ${hex(gpa)}`,
    expect: [`^GUEST vm=${vm} hart={${hart}} report=${hex(guestReport(size, seed, stores))}$`, `^ERR vm-run hart={${hart}} vm=${vm} exit=fault cause=21 gpa=${hex(faulting)} stval=${hex(faulting)} pc=(?<fault_pc>${X}) reports=1$`],
    check: (v) => (big(v, 'fault_pc') === big(v, 'probe_pc') ? undefined : `the fault's pc ${v.fault_pc} is not the guest's probe load at ${v.probe_pc}`),
  };
}

/**
 * The guest script: VMs of a few RAM sizes (one not a megapage multiple, one spanning two level-0
 * tables) created, listed, run by the bundled guest on the boot hart and on another hart (the boot
 * hart again with one hart), probed inside and outside their RAM, destroyed (every frame back), a
 * VMID reused by a new VM and run, the refusals, and the free count restored at the end. Every
 * GUEST line is part of the transcript and each report is the value guest/guest.S must compute.
 * Needs the ready-line variables.
 */
export function guestScript(): ConsoleStep[] {
  const A = 0x1_0000n; // 64 KiB: 16 pages, one level-0 table
  const B = 0x20_3000n; // 2 MiB + 12 KiB: 515 pages, two level-0 tables
  const C = 0x8000n; // the smallest VM
  const end = (size: bigint) => GUEST_RAM_BASE + size;
  return [
    {
      why: 'the console lists the harts; another hart than the boot hart runs guests too',
      send: 'harts',
      expect: ['^OK harts hart={boot} n={harts} boot={boot} ids=(?<ids>\\d+(,\\d+)*)$'],
      check: (v) => (v.ids!.split(',').length === Number(v.harts) ? undefined : `ids ${v.ids} do not number ${v.harts}`),
    },
    {
      why: 'no VM exists after boot',
      derive: (v) => ({ other: v.ids!.split(',').find((id) => id !== v.boot) ?? v.boot! }),
      send: 'vm-list',
      expect: ['^OK vm-list hart={boot} n=0 vms=none$'],
    },
    vmCreate('a', A, 1, 1, 'nfree'),
    vmCreate('b', B, 2, 2, 'a_nfree'),
    {
      why: 'both VMs are listed with their VMID, RAM size and root',
      send: 'vm-list',
      expect: [`^OK vm-list hart={boot} n=2 vms=1/1/${hex(A)}/{a_root},2/2/${hex(B)}/{b_root}$`],
    },
    { why: 'stat agrees with the creates', send: 'stat', expect: ['^OK stat hart={boot} nfree={b_nfree} head=0x[0-9a-f]+ frames=\\d+$'] },
    vmRunShutdown('boot', 1, A, 5n, 40n),
    vmRunShutdown('other', 1, A, 6n, 40n),
    vmRunShutdown('other', 2, B, 9n, 300n, guestSlot(B, 9n, 0n)),
    {
      why: 'the probe read back the first slot, stored through the VS-stage, with the MMU off',
      send: 'stat',
      expect: ['^OK stat hart={boot} nfree={b_nfree} head=0x[0-9a-f]+ frames=\\d+$'],
      check: (v) => (big(v, 'probe_value') === (guestSlot(B, 9n, 0n) ^ 9n) ? undefined : `probe read ${v.probe_value}, not GPA ^ seed`),
    },
    vmRunShutdown('boot', 2, B, 1n, 2n, GUEST_RAM_BASE + B - 8n),
    vmRunFault('other', 1, A, 1n, 3n, end(A)),
    vmRunFault('boot', 2, B, 2n, 1n, end(B) + 0x10_0000n),
    vmRunFault('other', 2, B, 3n, 1n, 0x1000_0000n),
    vmRunFault('boot', 1, A, 4n, 1n, 0x7fff_f000n),
    vmRunFault('other', 1, A, 5n, 2n, 0x1_0000_0000n),
    vmRunFault('boot', 2, B, 6n, 2n, 0x1ff_ffff_fff8n),
    vmRunFault('other', 2, B, 7n, 2n, 0x200_0000_0000n),
    vmRunFault('boot', 1, A, 8n, 2n, 0x8000_0000_0000_0000n),
    vmRunFault('other', 1, A, 9n, 2n, end(A) - 4n, end(A)),
    vmRunFetchFault('boot', 1, A, 10n, 2n, end(A)),
    vmRunFetchFault('other', 2, B, 11n, 2n, 0x1_0000_0000n),
    vmRunFetchFault('boot', 2, B, 12n, 2n, 0x200_0000_0000n),
    { why: 'a VM that does not exist cannot run', send: 'vm-run {other} 7 0 1 0', expect: ['^ERR vm-run hart={other} vm=7 reason=no-such-vm$'] },
    { why: 'a hart that does not exist cannot run a guest', send: 'vm-run 99 1 0 1 0', expect: ['^ERR vm-run hart=99 reason=no-such-hart$'] },
    { why: 'guest RAM is whole pages', send: 'vm-create 0x8001', expect: ['^ERR vm-create hart={boot} ram=0x8001 reason=bad-size nfree={b_nfree}$'] },
    { why: 'guest RAM is at least 32 KiB', send: 'vm-create 0x4000', expect: ['^ERR vm-create hart={boot} ram=0x4000 reason=bad-size nfree={b_nfree}$'] },
    {
      why: 'destroying VM 1 gives back every frame it held',
      derive: (v) => ({ after_a: String(big(v, 'b_nfree') + vmFramesHeld(A)) }),
      send: 'vm-destroy 1',
      expect: [`^OK vm-destroy hart={boot} vm=1 vmid=1 freed=${vmFramesHeld(A)} nfree={after_a}$`],
    },
    { why: 'a destroyed VM is gone', send: 'vm-destroy 1', expect: ['^ERR vm-destroy hart={boot} vm=1 reason=no-such-vm$'] },
    { why: 'and cannot run', send: 'vm-run {boot} 1 0 1 0', expect: ['^ERR vm-run hart={boot} vm=1 reason=no-such-vm$'] },
    vmCreate('c', C, 3, 1, 'after_a'),
    { why: 'the new VM (a new handle, the reused VMID 1) takes the first free slot', send: 'vm-list', expect: [`^OK vm-list hart={boot} n=2 vms=3/1/${hex(C)}/{c_root},2/2/${hex(B)}/{b_root}$`] },
    vmRunShutdown('other', 3, C, 11n, 64n, guestSlot(C, 11n, 63n)),
    vmRunShutdown('boot', 3, C, 12n, 5n),
    vmRunShutdown('other', 2, B, 13n, 20n),
    {
      why: 'VM 3 on the boot hart and VM 2 on another at once (one run on a 1-hart platform); each answers as vm-run, in the order they end',
      derive: (v) => ({ together: v.other === v.boot ? `${v.boot} 3 21 7 0` : `${v.boot} 3 21 7 0 ${v.other} 2 22 30 0` }),
      send: 'vm-run-together {together}',
      unordered: true,
      expect: (v) => [
        `^GUEST vm=3 hart={boot} report=${hex(guestReport(C, 21n, 7n))}$`,
        '^OK vm-run hart={boot} vm=3 exit=shutdown reason=7 reports=1$',
        ...(v.other === v.boot ? [] : [`^GUEST vm=2 hart={other} report=${hex(guestReport(B, 22n, 30n))}$`, '^OK vm-run hart={other} vm=2 exit=shutdown reason=30 reports=1$']),
        `^OK vm-run-together hart={boot} runs=${v.other === v.boot ? 1 : 2}$`,
      ],
    },
    vmCreate('d', C, 4, 3, 'c_nfree'),
    vmCreate('e', A, 5, 4, 'd_nfree'),
    { why: 'a fifth VM is refused', send: 'vm-create 0x8000', expect: ['^ERR vm-create hart={boot} ram=0x8000 reason=too-many-vms nfree={e_nfree}$'] },
    vmRunShutdown('other', 5, A, 14n, 16n),
    {
      why: 'destroy VM 2',
      derive: (v) => ({ after_b: String(big(v, 'e_nfree') + vmFramesHeld(B)) }),
      send: 'vm-destroy 2',
      expect: [`^OK vm-destroy hart={boot} vm=2 vmid=2 freed=${vmFramesHeld(B)} nfree={after_b}$`],
    },
    {
      why: 'destroy VM 3',
      derive: (v) => ({ after_c: String(big(v, 'after_b') + vmFramesHeld(C)) }),
      send: 'vm-destroy 3',
      expect: [`^OK vm-destroy hart={boot} vm=3 vmid=1 freed=${vmFramesHeld(C)} nfree={after_c}$`],
    },
    vmCreate('f', C, 6, 1, 'after_c'),
    vmRunShutdown('boot', 6, C, 15n, 8n),
    { why: 'VMs 4, 5, 6 are listed in slot order', send: 'vm-list', expect: [`^OK vm-list hart={boot} n=3 vms=6/1/${hex(C)}/{f_root},4/3/${hex(C)}/{d_root},5/4/${hex(A)}/{e_root}$`] },
    ...[4, 5, 6].map((vm): ConsoleStep => ({ why: `destroy VM ${vm}`, send: `vm-destroy ${vm}`, expect: [`^OK vm-destroy hart={boot} vm=${vm} vmid=\\d+ freed=\\d+ nfree=\\d+$`] })),
    { why: 'no VM is left', send: 'vm-list', expect: ['^OK vm-list hart={boot} n=0 vms=none$'] },
    { why: 'every frame of every VM came back', send: 'stat', expect: ['^OK stat hart={boot} nfree={nfree} head=0x[0-9a-f]+ frames=\\d+$'] },
  ];
}
