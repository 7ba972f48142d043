/**
 * A starting profile inferred from an ELF (`hvspec profile --image FILE`): allocator-like functions
 * and what their code does (where free stores the page, where the next pointer goes, whether free
 * returns a verdict or panics, whether alloc clears the frame), panic functions and panic text,
 * layout symbols or sections, the load offset, CSR writes (satp, hgatp, M-mode CSRs). Every field is
 * reported as inferred (and how) or not inferred (and the default written in its place), so the
 * user knows what to check before trusting a verdict.
 *
 * The code reading is a linear scan of each function (no control flow): enough to see constant
 * addresses built by auipc/addi, the argument moved between registers, loads and stores through
 * them, calls and CSR writes, which is what the facts above need.
 */
import { VAS_KERNEL, VIRT_RAM_BASE } from '../../model/index.js';
import { type ElfFile, type ElfSymbol } from '../../emulator/elf.js';
import { immI, immJ, immS, immU } from '../../emulator/isa/fields.js';
import { expandCompressed, ILLEGAL } from '../../emulator/isa/rvc.js';
import { DEFAULT_PROFILE, DESIGN_PLATFORMS } from './profile.js';

/** One field of the inferred profile and how it was found, or why it could not be and what was written instead. */
export interface ProfileFinding {
  readonly field: string;
  readonly note: string;
}

export interface InferredProfile {
  /** The profile file's contents (version 1), ready for checkProfile. */
  readonly json: Record<string, unknown>;
  readonly inferred: readonly ProfileFinding[];
  /** Fields written with a default or a placeholder: the user must check these. */
  readonly notInferred: readonly ProfileFinding[];
}

/** The image cannot be described by a profile at all (named in the message). */
export class ProfileInferenceError extends Error {
  override readonly name = 'ProfileInferenceError';
}

/** What a register holds, as far as a linear scan can tell. */
type Value = { readonly kind: 'const'; readonly value: bigint } | { readonly kind: 'arg'; readonly offset: bigint } | { readonly kind: 'loaded'; readonly from: bigint } | { readonly kind: 'unknown' };

/** What a function's code does, seen by scanFunction. */
export interface FunctionFacts {
  /** 64-bit stores: the address register's value + offset, and the value stored. */
  readonly stores: readonly { readonly address: Value; readonly value: Value }[];
  /** Call and tail-call targets whose address the scan knows. */
  readonly calls: readonly bigint[];
  /** CSRs written, and where. */
  readonly csrWrites: readonly { readonly csr: number; readonly pc: bigint }[];
  /** Whether some `ret` returns, in a0, a constant or a register that was given constants (a verdict). */
  readonly returnsConstant: boolean;
}

const UNKNOWN: Value = { kind: 'unknown' };
const CALLER_SAVED = [1, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 28, 29, 30, 31];
const CALLEE_SAVED = [8, 9, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];
const STT_OBJECT = 1;
const STT_FUNC = 2;
const PF_X = 1;
const u64 = (v: bigint) => BigInt.asUintN(64, v);
const hex = (v: bigint) => `0x${v.toString(16)}`;

/** The bytes of a function, from the PT_LOAD segment that holds its link address. */
function functionBytes(elf: ElfFile, fn: ElfSymbol): Uint8Array {
  const s = elf.segments.find((seg) => fn.value >= seg.vaddr && fn.value + fn.size <= seg.vaddr + BigInt(seg.data.length));
  return s === undefined ? new Uint8Array(0) : s.data.subarray(Number(fn.value - s.vaddr), Number(fn.value - s.vaddr + fn.size));
}

/** Scans a function's instructions in address order (see the file comment for what it tracks). */
export function scanFunction(elf: ElfFile, fn: ElfSymbol): FunctionFacts {
  return scanCode(functionBytes(elf, fn), fn.value);
}

/** Scans `code`, linked at `base`, as one function. */
function scanCode(code: Uint8Array, base: bigint): FunctionFacts {
  const end = base + BigInt(code.length);
  const regs: Value[] = Array.from({ length: 32 }, () => UNKNOWN);
  regs[10] = { kind: 'arg', offset: 0n };
  const givenConstant = new Set<number>();
  const copiedFrom: (number | undefined)[] = [];
  const stores: FunctionFacts['stores'][number][] = [];
  const calls: bigint[] = [];
  const csrWrites: { csr: number; pc: bigint }[] = [];
  let returnsConstant = false;
  const get = (r: number): Value => (r === 0 ? { kind: 'const', value: 0n } : regs[r]!);
  const set = (r: number, v: Value, copy?: number) => {
    if (r === 0) return;
    regs[r] = v;
    copiedFrom[r] = copy;
    if (v.kind === 'const') givenConstant.add(r);
  };
  const plus = (v: Value, imm: bigint): Value => (v.kind === 'const' ? { kind: 'const', value: u64(v.value + imm) } : v.kind === 'arg' ? { kind: 'arg', offset: v.offset + imm } : UNKNOWN);
  const call = (target: Value) => {
    if (target.kind === 'const') calls.push(target.value);
    for (const r of CALLER_SAVED) set(r, UNKNOWN);
  };
  for (let at = 0; at + 2 <= code.length; ) {
    const pc = base + BigInt(at);
    const low = code[at]! | (code[at + 1]! << 8);
    let raw: number;
    if ((low & 3) !== 3) {
      raw = expandCompressed(low);
      at += 2;
      if (raw === ILLEGAL) continue;
    } else {
      if (at + 4 > code.length) break;
      raw = (low | (code[at + 2]! << 16) | (code[at + 3]! << 24)) >>> 0;
      at += 4;
    }
    const opcode = raw & 0x7f, rd = (raw >>> 7) & 31, f3 = (raw >>> 12) & 7, rs1 = (raw >>> 15) & 31, rs2 = (raw >>> 20) & 31;
    switch (opcode) {
      case 0x17: set(rd, { kind: 'const', value: u64(pc + BigInt(immU(raw))) }); break; // auipc
      case 0x37: set(rd, { kind: 'const', value: u64(BigInt(immU(raw))) }); break; // lui
      case 0x13: set(rd, f3 === 0 ? plus(get(rs1), BigInt(immI(raw))) : UNKNOWN, f3 === 0 && immI(raw) === 0 ? rs1 : undefined); break; // addi (mv)
      case 0x33: // add (c.mv is add rd, x0, rs2)
        if (f3 === 0 && raw >>> 25 === 0 && (rs1 === 0 || rs2 === 0)) set(rd, get(rs1 === 0 ? rs2 : rs1), rs1 === 0 ? rs2 : rs1);
        else set(rd, UNKNOWN);
        break;
      case 0x03: { // loads; only ld through a known address is followed
        // a callee-saved register reloaded from the stack is an epilogue, before a ret: code after it
        // is reached by branches from the body, where the register still holds the body's value
        if (rs1 === 2 && CALLEE_SAVED.includes(rd)) break;
        const address = plus(get(rs1), BigInt(immI(raw)));
        set(rd, f3 === 3 && address.kind === 'const' ? { kind: 'loaded', from: address.value } : UNKNOWN);
        break;
      }
      case 0x23: if (f3 === 3) stores.push({ address: plus(get(rs1), BigInt(immS(raw))), value: get(rs2) }); break; // sd
      case 0x6f: { // jal: a call, or a jump (a tail call when it leaves the function)
        const target = u64(pc + BigInt(immJ(raw)));
        if (rd !== 0 || target < base || target >= end) call({ kind: 'const', value: target });
        break;
      }
      case 0x67: { // jalr
        if (rd === 0 && rs1 === 1 && immI(raw) === 0) {
          const from = copiedFrom[10];
          if (get(10).kind === 'const' || (from !== undefined && givenConstant.has(from))) returnsConstant = true;
        } else call(plus(get(rs1), BigInt(immI(raw))));
        break;
      }
      case 0x73: // csrrw/s/c and their immediate forms write the CSR unless rs1/uimm is 0 (csrrw always)
        if (f3 !== 0 && f3 !== 4) {
          if (f3 === 1 || f3 === 5 || rs1 !== 0) csrWrites.push({ csr: raw >>> 20, pc });
          set(rd, UNKNOWN);
        }
        break;
      case 0x63: case 0x0f: break; // branches, fences: no register written
      default: set(rd, UNKNOWN);
    }
  }
  return { stores, calls, csrWrites, returnsConstant };
}

const ALLOCATORS: readonly (readonly [string, string])[] = [
  ['kalloc', 'kfree'], ['kmalloc', 'kfree'], ['page_alloc', 'page_free'], ['alloc_page', 'free_page'], ['kalloc_page', 'kfree_page'],
  ['palloc', 'pfree'], ['pmm_alloc', 'pmm_free'], ['frame_alloc', 'frame_free'], ['alloc_frame', 'free_frame'], ['kmem_alloc', 'kmem_free'],
];
const INITS = ['kinit', 'kmem_init', 'kalloc_init', 'pmm_init', 'page_init', 'frame_init'];
const CLEARERS = /^(memset|bzero|memzero|zero_page|clear_page)$/;
const COUNTER = /^(kmem_)?(n_?free|nr_free|free_count|free_pages|nfree_pages)$/i;
const FRAME_STATES = /frame_?state/i;
const SECTION_NAMES: Readonly<Record<'text' | 'rodata' | 'data' | 'bss', readonly (readonly [string, string])[]>> = {
  text: [['_text_start', '_text_end'], ['stext', 'etext'], ['_stext', '_etext'], ['__text_start', '__text_end']],
  rodata: [['_rodata_start', '_rodata_end'], ['srodata', 'erodata'], ['_srodata', '_erodata'], ['__rodata_start', '__rodata_end']],
  data: [['_data_start', '_data_end'], ['sdata', 'edata'], ['_sdata', '_edata'], ['__data_start', '__data_end']],
  bss: [['_bss_start', '_bss_end'], ['sbss', 'end'], ['__bss_start', '__bss_end'], ['__bss_start', '_end'], ['_sbss', '_ebss']],
};
const CSR_NAMES: Readonly<Record<number, string>> = { 0x180: 'satp', 0x680: 'hgatp', 0x280: 'vsatp', 0x300: 'mstatus', 0x305: 'mtvec', 0x302: 'medeleg', 0x341: 'mepc' };
const M_MODE_CSRS = [0x300, 0x302, 0x305, 0x341];

/** NUL-terminated printable strings (tabs and newlines allowed) of at least 4 characters in the loaded bytes. */
function imageStrings(elf: ElfFile): string[] {
  const out: string[] = [];
  for (const s of elf.segments) {
    let start = -1;
    for (let i = 0; i < s.data.length; i++) {
      const b = s.data[i]!;
      if ((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a) {
        if (start < 0) start = i;
      } else {
        if (b === 0 && start >= 0 && i - start >= 4) out.push(String.fromCharCode(...s.data.subarray(start, i)));
        start = -1;
      }
    }
  }
  return out;
}

/** Infers a starting profile for the image (see the file comment). Throws ProfileInferenceError. */
export function inferProfile(elf: ElfFile): InferredProfile {
  const inferred: ProfileFinding[] = [];
  const notInferred: ProfileFinding[] = [];
  const found = (field: string, note: string) => inferred.push({ field, note });
  const guessed = (field: string, note: string) => notInferred.push({ field, note });
  const fn = (name: string) => {
    const s = elf.symbol(name);
    return s !== undefined && s.type === STT_FUNC && s.size > 0n ? s : undefined;
  };
  const functions = elf.symbols.filter((s) => s.type === STT_FUNC && s.size > 0n);
  const objects = elf.symbols.filter((s) => s.type === STT_OBJECT);
  const functionAt = (address: bigint) => functions.find((f) => address >= f.value && address < f.value + f.size);
  /** An address as an expression: the object holding it (`kmem+8`), a symbol at it, or hex. */
  const expression = (address: bigint): string => {
    const o = objects.find((s) => address >= s.value && address < s.value + (s.size > 0n ? s.size : 1n));
    if (o !== undefined) return address === o.value ? o.name : `${o.name}+${address - o.value}`;
    return elf.symbols.find((s) => s.value === address && s.name !== '')?.name ?? hex(address);
  };
  const strings = imageStrings(elf);

  // allocator
  const pair = ALLOCATORS.find(([a, f]) => fn(a) && fn(f)) ?? ALLOCATORS.find(([a]) => fn(a));
  const alloc = pair !== undefined ? fn(pair[0]) : undefined;
  const free = pair !== undefined ? fn(pair[1]) : undefined;
  if (alloc) found('allocator.alloc', `function ${alloc.name}`);
  else guessed('allocator.alloc', `no function named ${ALLOCATORS.map(([a]) => a).join(', ')}: write your allocator's name`);
  if (free) found('allocator.free', `function ${free.name}`);
  else guessed('allocator.free', `no free function ${pair ? `named ${pair[1]} ` : ''}found: write its name`);
  const freeFacts = free ? scanFunction(elf, free) : undefined;
  const allocFacts = alloc ? scanFunction(elf, alloc) : undefined;

  const headStore = freeFacts?.stores.find((s) => s.value.kind === 'arg' && s.value.offset === 0n && s.address.kind === 'const');
  const head = headStore?.address.kind === 'const' ? headStore.address.value : undefined;
  let freeListHead = 'FILL_IN_free_list_head';
  if (head !== undefined) {
    freeListHead = expression(head);
    found('allocator.freeListHead', `${free!.name} stores the page it is given at ${freeListHead} (${hex(head)})`);
  } else guessed('allocator.freeListHead', `${free ? `${free.name} stores its argument at no fixed address` : 'no free function'}: write where the free-list head is stored`);

  const nextStore = head === undefined ? undefined : freeFacts!.stores.find((s) => s.value.kind === 'loaded' && s.value.from === head && s.address.kind === 'arg');
  const nextOffset = nextStore?.address.kind === 'arg' ? Number(nextStore.address.offset) : 0;
  if (nextStore) found('allocator.nextOffset', `${free!.name} stores the old head at byte ${nextOffset} of the page`);
  else guessed('allocator.nextOffset', 'not seen in the code: 0 written');

  const linkBase = elf.segments.reduce<bigint | undefined>((m, s) => (m === undefined || s.vaddr < m ? s.vaddr : m), undefined) ?? 0n;
  const linkedHigh = linkBase >= VAS_KERNEL;
  found('allocator.returns', linkedHigh ? `the image is linked at ${hex(linkBase)} (the kernel VAS), so alloc returns linear-map VAs (linear-va)` : `the image is linked low (${hex(linkBase)}), so alloc returns PAs`);

  const panicFunctions = functions.filter((f) => /panic/i.test(f.name)).map((f) => f.name).sort();
  let badFree: 'verdict' | 'panic' | 'accept' = 'accept';
  if (freeFacts?.returnsConstant) {
    badFree = 'verdict';
    found('allocator.badFree', `${free!.name} returns constants in a0: a verdict (KMEM-FREE-VERDICT is checked against the model's)`);
  } else if (freeFacts?.calls.some((t) => panicFunctions.includes(functionAt(t)?.name ?? ''))) {
    badFree = 'panic';
    found('allocator.badFree', `${free!.name} calls ${freeFacts.calls.map((t) => functionAt(t)?.name).find((n) => panicFunctions.includes(n ?? ''))}: it panics on an address it refuses`);
  } else guessed('allocator.badFree', `${free?.name ?? 'free'} neither returns a constant nor calls a panic function: "accept" written`);

  const counter = objects.find((o) => COUNTER.test(o.name) && o.size === 8n);
  if (counter) found('allocator.counter', `object ${counter.name} (8 bytes)`);
  else guessed('allocator.counter', 'no free-frame counter found (none written; add one if the image keeps it)');
  const frameStates = objects.find((o) => FRAME_STATES.test(o.name) && o.size === 8n);
  if (frameStates) guessed('allocator.frameStates', `object ${frameStates.name} looks like a frame-state table pointer; its codes are not in the code: the bundled hypervisor's (free ${DEFAULT_PROFILE.allocator.frameStates!.free}, allocated ${DEFAULT_PROFILE.allocator.frameStates!.allocated}, reserved ${DEFAULT_PROFILE.allocator.frameStates!.reserved}) written`);
  else guessed('allocator.frameStates', 'no frame-state table found: if free accepts a double free, waive KMEM-NO-DOUBLE-FREE');

  const clears = allocFacts !== undefined && (allocFacts.stores.some((s) => s.value.kind === 'const' && s.value.value === 0n && s.address.kind === 'unknown') || allocFacts.calls.some((t) => CLEARERS.test(functionAt(t)?.name ?? '')));
  if (clears) found('allocator.zeroes', `${alloc!.name} stores zeros or calls a clearing function`);
  else guessed('allocator.zeroes', `${alloc?.name ?? 'alloc'} neither stores zeros through a computed address nor calls memset: false written, KMEM-ZEROED waived`);
  guessed('allocator.order', '"any" written; "descending" (a fresh allocator hands out the highest frame first) is the stronger check if init frees RAM in ascending order');
  const init = INITS.map(fn).find((s) => s !== undefined);
  if (init) found('allocator.init', `function ${init.name}`);
  else guessed('allocator.init', `no function named ${INITS.join(', ')} (none written)`);

  // panic
  if (panicFunctions.length > 0) found('panic.functions', panicFunctions.join(', '));
  else guessed('panic.functions', 'no function named like panic (an empty list written)');
  const panicText = strings.map((s) => /^(panic: |PANIC |Panic: |panic )/.exec(s)?.[1]).find((p) => p !== undefined);
  if (panicText) found('panic.consolePattern', `the image holds text starting "${panicText}"`);
  else guessed('panic.consolePattern', 'no panic text found (none written)');

  // layout
  const lowest = elf.segments.reduce<bigint | undefined>((m, s) => (m === undefined || s.paddr < m ? s.paddr : m), undefined);
  const loadOffset = lowest === undefined ? 0n : lowest - VIRT_RAM_BASE;
  if (loadOffset <= 0n || loadOffset >= 1n << 30n || loadOffset % 4096n !== 0n) {
    throw new ProfileInferenceError(`${elf.fileName}: its lowest PT_LOAD loads at ${lowest === undefined ? 'nothing (no PT_LOAD)' : hex(lowest)}, but a profile's image loads at RAM base (${hex(VIRT_RAM_BASE)}) + layout.loadOffset, a 4 KiB multiple above 0 and below 1 GiB (the firmware owns what is below)`);
  }
  found('layout.loadOffset', `the lowest PT_LOAD loads at ${hex(lowest ?? 0n)}, RAM base + ${hex(loadOffset)}`);
  const sections: Record<string, { start: string; end: string }> = {};
  for (const [part, names] of Object.entries(SECTION_NAMES)) {
    const byName = names.find(([s, e]) => elf.symbol(s) && elf.symbol(e));
    const section = elf.sections.find((s) => s.name === `.${part}`);
    if (byName) {
      sections[part] = { start: byName[0], end: byName[1] };
      found(`layout.${part}`, `symbols ${byName[0]} / ${byName[1]}`);
    } else if (section) {
      sections[part] = { start: hex(section.addr), end: hex(section.addr + section.size) };
      found(`layout.${part}`, `section .${part} (no start/end symbols)`);
    } else {
      sections[part] = { start: `FILL_IN_${part}_start`, end: `FILL_IN_${part}_end` };
      guessed(`layout.${part}`, `no start/end symbols and no .${part} section: write its bounds`);
    }
  }
  guessed('layout.cpuStruct', "the bundled hypervisor's layout written (guard, stack, info, trap stack): check it against your cpu struct");
  guessed('layout.accessedDirty', '"hardware" written (MAP-AD then claims only no D without W); "preset" if the leaves carry A and D');
  guessed('layout.earlyTable', 'the default (leaves with G, one linear gigapage per GiB of RAM) written');
  guessed('layout.largestLeaf', '"1 GiB" written: "2 MiB" if the final tables never build gigapages');
  guessed('layout.devices', 'the default (every virt device identity-mapped) written: list only those the final tables map');
  guessed('layout.reserved', 'none written: add the physical ranges the image never hands out');

  // boot, console, and what the code's CSR writes say
  // every executable byte, so assembly without .size (start code) counts too; a write is named by
  // the function holding it, else the nearest code symbol below it
  const csrWriters = new Map<number, string[]>();
  const labels = elf.symbols.filter((x) => x.name !== '' && !x.name.startsWith('.L') && (x.type === STT_FUNC || x.type === 0)).sort((a, b) => (a.value < b.value ? -1 : 1));
  const nameOf = (pc: bigint) => functionAt(pc)?.name ?? labels.filter((x) => x.value <= pc).at(-1)?.name ?? hex(pc);
  for (const segment of elf.segments.filter((x) => (x.flags & PF_X) !== 0)) {
    for (const { csr, pc } of scanCode(segment.data, segment.vaddr).csrWrites) {
      const names = csrWriters.get(csr) ?? [];
      if (csr in CSR_NAMES && !names.includes(nameOf(pc))) csrWriters.set(csr, [...names, nameOf(pc)]);
    }
  }
  const ownMachineMode = M_MODE_CSRS.some((c) => csrWriters.has(c));
  const firmware = ownMachineMode ? 'own' : 'opensbi';
  if (ownMachineMode) found('boot.firmware', `the code writes ${M_MODE_CSRS.filter((c) => csrWriters.has(c)).map((c) => CSR_NAMES[c]).join(', ')}: its own M-mode start (own)`);
  else found('boot.firmware', 'the code writes no M-mode CSR, so a firmware runs it: OpenSBI fw_dynamic ("builtin", the emulator\'s SBI, boots faster if the image needs only the calls it answers)');
  for (const [csr, names] of csrWriters) if (!M_MODE_CSRS.includes(csr)) found('(code)', `${CSR_NAMES[csr]} is written in ${names.join(', ')}${csr === 0x680 ? ': the image starts guests' : ''}`);
  const banner = DEFAULT_PROFILE.boot.done as { console: string };
  const speaksDebugConsole = strings.some((s) => s.startsWith(banner.console));
  if (speaksDebugConsole) found('console', `the image prints "${banner.console}", the bundled hypervisor's banner: hvspec-debug`);
  else guessed('console', 'no hvspec debug console banner: null written (the allocator properties run as injected calls)');
  if (speaksDebugConsole) found('boot.done', `the console shows "${banner.console}"`);
  else guessed('boot.done', 'every hart idle in wfi written; a console text or a PC is faster if the image has one');
  guessed('platforms', "the design's claim written (1 to 8 harts, 16 MiB to 16 GiB, any boot hart): narrow it, with a reason, if the image hard-codes any");

  const waived: { rule: string; reason: string }[] = [];
  if (badFree !== 'verdict') waived.push({ rule: 'KMEM-FREE-VERDICT', reason: `inferred: ${free?.name ?? 'free'} returns no verdict (it ${badFree === 'panic' ? 'panics' : 'accepts'} on an address it must refuse)` });
  if (!clears) waived.push({ rule: 'KMEM-ZEROED', reason: `inferred: ${alloc?.name ?? 'alloc'} does not clear the frame it returns` });

  const unresolved = notInferred.map((f) => f.field);
  const json: Record<string, unknown> = {
    $comment: `Inferred by hvspec profile from ${elf.fileName}; not inferred (check these): ${unresolved.join(', ')}. Format: properties/profile/README.md.`,
    version: 1,
    name: elf.fileName.replace(/^.*\//, ''),
    boot: { firmware, done: speaksDebugConsole ? { console: banner.console } : { allIdle: true } },
    console: speaksDebugConsole ? 'hvspec-debug' : null,
    allocator: {
      alloc: alloc?.name ?? 'FILL_IN_alloc',
      free: free?.name ?? 'FILL_IN_free',
      returns: linkedHigh ? 'linear-va' : 'pa',
      badFree,
      freeListHead,
      nextOffset,
      order: 'any',
      zeroes: clears,
      ...(counter ? { counter: counter.name } : {}),
      ...(frameStates ? { frameStates: { ...DEFAULT_PROFILE.allocator.frameStates!, symbol: frameStates.name } } : {}),
      ...(init ? { init: init.name } : {}),
    },
    panic: { functions: panicFunctions, ...(panicText ? { consolePattern: `^${panicText.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` } : {}) },
    layout: {
      loadOffset: hex(loadOffset),
      ...sections,
      cpuStruct: Object.fromEntries(Object.entries(DEFAULT_PROFILE.layout.cpuStruct).map(([k, p]) => [k, p === null ? null : { offset: hex(BigInt(p.offset)), size: hex(BigInt(p.size)) }])),
      accessedDirty: 'hardware',
    },
    rules: { claims: 'all', waived },
    platforms: { harts: DESIGN_PLATFORMS.harts, ramSize: { min: '16 MiB', max: '16 GiB' }, bootHart: DESIGN_PLATFORMS.bootHart, hartIds: DESIGN_PLATFORMS.hartIds },
  };
  return { json, inferred, notInferred };
}
