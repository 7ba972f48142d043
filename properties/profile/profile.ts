/**
 * Image profiles: how the suite sees and drives a hypervisor image that is not ours (properties/profile/README.md).
 * A profile is a versioned JSON file; loadProfile checks every field and names the file, the field and
 * the value of the first thing wrong. DEFAULT_PROFILE holds the facts about the bundled hypervisor
 * (hypervisor/README.md "Symbols the property suite can read") that the suite used to hard-code.
 */
import { readFileSync } from 'node:fs';
import { RULE_IDS, SERIAL_CONSOLE, VIRT_DEVICES, type RuleId } from '../../model/index.js';

export const PROFILE_VERSION = 1;

/** An address expression: a symbol, `symbol+offset` / `symbol-offset` (offset decimal or 0x hex), or a 0x hex link address. */
export type AddressExpression = string;

/** One image section, by the link addresses of its first byte and of the byte after it. */
export interface SectionBounds {
  readonly start: AddressExpression;
  readonly end: AddressExpression;
}

/** A part of the cpu struct: byte offset from the cpu struct's VA and size (both 4 KiB multiples). */
export interface CpuStructPart {
  readonly offset: number;
  readonly size: number;
}

/** A physical range the image never hands out nor maps beyond what the design maps (beyond the firmware, image and blob). */
export interface ProfileReservedRange {
  readonly name: string;
  readonly start: bigint;
  readonly end: bigint;
}

export interface ImageProfile {
  readonly version: 1;
  /** What reports call the image's design (free text). */
  readonly name: string;
  readonly boot: {
    /** Who plays M-mode: the emulator's builtin SBI, OpenSBI fw_dynamic with the image as its next stage, or the image's own M-mode start. */
    readonly firmware: 'builtin' | 'opensbi' | 'own';
    /** When the boot is done: a console text appeared, a hart reached a PC (address expression), or every hart idles in wfi. */
    readonly done: { readonly console: string } | { readonly pc: string } | { readonly allIdle: true };
  };
  /** The debug console protocol the image speaks (hypervisor/README.md), or null for none. */
  readonly console: 'hvspec-debug' | null;
  readonly allocator: {
    readonly alloc: string;
    readonly free: string;
    /** What alloc returns for a frame: its linear-map VA or its PA (0 = empty, either way). */
    readonly returns: 'linear-va' | 'pa';
    /** What free does with an address it must refuse: returns a verdict (kfree_verdict), panics, or accepts it. */
    readonly badFree: 'verdict' | 'panic' | 'accept';
    /** Where the free-list head is stored: an address expression (`kmem_freelist`, `kmem+8`). */
    readonly freeListHead: AddressExpression;
    /** Byte offset of the next pointer in a free page. */
    readonly nextOffset: number;
    /** A u64 counting free frames, when the image keeps one. */
    readonly counter?: string;
    /** A u64 pointing (linear-map VA) at a one-byte-per-frame state table, and its codes. */
    readonly frameStates?: { readonly symbol: string; readonly free: number; readonly allocated: number; readonly reserved: number };
    /**
     * The order a fresh allocator hands frames out: 'descending' (the highest free frame first, then
     * the most recently freed: a LIFO list built by freeing RAM in ascending order), or 'any'.
     */
    readonly order: 'descending' | 'any';
    /** Whether alloc clears a frame before returning it (KMEM-ZEROED is waived when it does not). */
    readonly zeroes: boolean;
    /**
     * The function that builds the free list at boot, when it does so by calling free (kinit freeing
     * every page): calls made inside it are not observed as allocator calls, and the model's fresh
     * allocator is the state it returns.
     */
    readonly init?: string;
  };
  readonly panic: {
    /** Functions that never return and mean the image gave up. */
    readonly functions: readonly string[];
    /** A regular expression (source) whose match on the console means a panic. */
    readonly consolePattern?: string;
  };
  readonly layout: {
    /** The image is loaded at RAM base + loadOffset and linked at VAS_KERNEL + loadOffset; the firmware owns what is below. */
    readonly loadOffset: bigint;
    readonly text: SectionBounds;
    readonly rodata: SectionBounds;
    readonly data: SectionBounds;
    readonly bss: SectionBounds;
    /** The cpu struct at VAS_CPU_STRUCT; the trap stack may share the info page (offset and size equal to or inside it). */
    readonly cpuStruct: {
      readonly guard: CpuStructPart | null;
      readonly stack: CpuStructPart;
      readonly info: CpuStructPart;
      readonly trapStack: CpuStructPart;
    };
    /** Whether leaves carry A and D preset ('preset', SPEC.md) or rely on the hart setting them ('hardware'). */
    readonly accessedDirty: 'preset' | 'hardware';
    /** The early table's leaves: with G or without, and its linear map: one gigapage per GiB of RAM ('ram') or a fixed count. */
    readonly earlyTable: { readonly global: boolean; readonly linearGigapages: 'ram' | number };
    /** The largest leaf the final tables use (bytes: 1 GiB, 2 MiB or 4 KiB; MAP-EXACT expects the largest that fit up to it). */
    readonly largestLeaf: bigint;
    /** The virt devices the final tables identity-map, by name (model VIRT_DEVICES; the serial console 'uart' always). */
    readonly devices: readonly string[];
    readonly reserved: readonly ProfileReservedRange[];
  };
  readonly rules: {
    /** The rules the image claims: 'all' (every rule not waived) or an explicit list. */
    readonly claims: 'all' | readonly RuleId[];
    /** Every rule not claimed, with the reason, printed in every report. */
    readonly waived: readonly { readonly rule: RuleId; readonly reason: string }[];
  };
  /** The platforms the image claims; narrower than the design's claim is shown as a waived part of BOOT-COMPLETES, with `reason`. */
  readonly platforms: {
    readonly harts: { readonly min: number; readonly max: number };
    readonly ramSize: { readonly min: bigint; readonly max: bigint };
    /** 'any': any hart may be the boot hart; 'zero': only hart 0. */
    readonly bootHart: 'any' | 'zero';
    /** 'any': hart ids as the device tree gives them; 'from-0': only ids 0 to N-1 (the suite's machines number harts so, so this only shows in reports). */
    readonly hartIds: 'any' | 'from-0';
    readonly reason?: string;
  };
}

const MiB = 1n << 20n;
const GiB = 1n << 30n;

/** The design's platform claim (BOOT-COMPLETES). */
export const DESIGN_PLATFORMS: ImageProfile['platforms'] = { harts: { min: 1, max: 8 }, ramSize: { min: 16n * MiB, max: 16n * GiB }, bootHart: 'any', hartIds: 'any' };

/** The bundled hypervisor (hypervisor/): what the suite assumed of every image before profiles. */
export const DEFAULT_PROFILE: ImageProfile = {
  version: 1,
  name: 'hvspec-hv (the bundled hypervisor)',
  boot: { firmware: 'builtin', done: { console: 'hvspec-hv ready' } },
  console: 'hvspec-debug',
  allocator: {
    alloc: 'kalloc',
    free: 'kfree',
    returns: 'linear-va',
    badFree: 'verdict',
    freeListHead: 'kmem_freelist',
    nextOffset: 0,
    counter: 'kmem_nfree',
    frameStates: { symbol: 'kmem_frame_state', free: 1, allocated: 2, reserved: 0 },
    order: 'descending',
    zeroes: true,
    init: 'kmem_init',
  },
  panic: { functions: ['panic'], consolePattern: '^PANIC ' },
  layout: {
    loadOffset: 0x20_0000n,
    text: { start: '_text_start', end: '_text_end' },
    rodata: { start: '_rodata_start', end: '_rodata_end' },
    data: { start: '_data_start', end: '_data_end' },
    bss: { start: '_bss_start', end: '_bss_end' },
    cpuStruct: {
      guard: { offset: 0x0000, size: 0x1000 },
      stack: { offset: 0x1000, size: 0x4000 },
      info: { offset: 0x5000, size: 0x1000 },
      trapStack: { offset: 0x6000, size: 0x2000 },
    },
    accessedDirty: 'preset',
    earlyTable: { global: true, linearGigapages: 'ram' },
    largestLeaf: GiB,
    devices: VIRT_DEVICES.map((d) => d.name),
    reserved: [],
  },
  rules: { claims: 'all', waived: [] },
  platforms: DESIGN_PLATFORMS,
};

/** A profile file is wrong: names the file, the field (a JSON path) and the value. The CLI exits 2. */
export class ProfileError extends Error {
  override readonly name = 'ProfileError';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly value: string,
    readonly why: string,
  ) {
    super(`profile ${file}: ${field}${value === '' ? '' : ` = ${value}`}: ${why}`);
  }
}

/** Reads, parses and checks a profile file. Throws ProfileError. */
export function loadProfile(path: string): ImageProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ProfileError(path, '(file)', '', code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(e));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ProfileError(path, '(file)', '', `not valid JSON (${(e as Error).message})`);
  }
  return checkProfile(json, path);
}

/** Checks a parsed profile (`file` names it in errors). Throws ProfileError. */
export function checkProfile(json: unknown, file: string): ImageProfile {
  return new ProfileReader(file).profile(json);
}

const show = (v: unknown): string => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v === undefined ? 'missing' : JSON.stringify(v));
const ADDRESS_EXPRESSION = /^(?:0x[0-9a-fA-F]+|[A-Za-z_.$][A-Za-z0-9_.$]*(?:[+-](?:0x[0-9a-fA-F]+|[0-9]+))?)$/;
const SIZE = /^(0x[0-9a-fA-F]+|[0-9]+)\s*(B|KiB|MiB|GiB)?$/;
const SIZE_UNIT: Readonly<Record<string, bigint>> = { B: 1n, KiB: 1n << 10n, MiB: MiB, GiB: GiB };

type Json = Record<string, unknown>;

class ProfileReader {
  constructor(readonly file: string) {}

  bad(field: string, value: unknown, why: string): never {
    throw new ProfileError(this.file, field, show(value), why);
  }

  object(v: unknown, field: string, keys: { required: readonly string[]; optional?: readonly string[] }): Json {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.bad(field, v, 'must be an object');
    const o = v as Json;
    const known = [...keys.required, ...(keys.optional ?? [])];
    for (const k of Object.keys(o)) if (!known.includes(k)) this.bad(`${field}.${k}`, o[k], `unknown field (known: ${known.join(', ')})`);
    for (const k of keys.required) if (!(k in o)) this.bad(`${field}.${k}`, undefined, 'is required');
    return o;
  }

  string(v: unknown, field: string): string {
    if (typeof v !== 'string' || v === '') this.bad(field, v, 'must be a non-empty string');
    return v;
  }

  oneOf<T extends string>(v: unknown, field: string, choices: readonly T[]): T {
    if (!choices.includes(v as T)) this.bad(field, v, `must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
    return v as T;
  }

  boolean(v: unknown, field: string): boolean {
    if (typeof v !== 'boolean') this.bad(field, v, 'must be true or false');
    return v;
  }

  symbol(v: unknown, field: string): string {
    const s = this.string(v, field);
    if (!/^[A-Za-z_.$][A-Za-z0-9_.$]*$/.test(s)) this.bad(field, v, 'must be a symbol name');
    return s;
  }

  address(v: unknown, field: string): AddressExpression {
    const s = this.string(v, field);
    if (!ADDRESS_EXPRESSION.test(s)) this.bad(field, v, 'must be a symbol, symbol+offset, symbol-offset or a 0x hex address');
    return s;
  }

  /** A byte count: a non-negative integer, or a string "0x1000", "4096", "16 MiB". */
  bytes(v: unknown, field: string): bigint {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || v < 0) this.bad(field, v, 'must be a non-negative integer (or a string such as "0x1000" or "16 MiB")');
      return BigInt(v);
    }
    if (typeof v !== 'string') this.bad(field, v, 'must be a non-negative integer or a string such as "0x1000" or "16 MiB"');
    const m = SIZE.exec(v.trim());
    if (!m) this.bad(field, v, 'must be a non-negative integer or a string such as "0x1000" or "16 MiB"');
    return BigInt(m[1]!) * SIZE_UNIT[m[2] ?? 'B']!;
  }

  pageMultiple(v: unknown, field: string): bigint {
    const n = this.bytes(v, field);
    if (n % 0x1000n !== 0n) this.bad(field, v, 'must be a multiple of 4 KiB');
    return n;
  }

  integer(v: unknown, field: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.bad(field, v, `must be an integer from ${min} to ${max}`);
    return v;
  }

  profile(json: unknown): ImageProfile {
    const o = this.object(json, 'profile', { required: ['version', 'boot', 'console', 'allocator', 'panic', 'layout', 'rules', 'platforms'], optional: ['name', '$comment'] });
    if (o.version !== PROFILE_VERSION) this.bad('version', o.version, `must be ${PROFILE_VERSION} (the only profile format there is)`);
    const profile: ImageProfile = {
      version: 1,
      name: o.name === undefined ? this.file : this.string(o.name, 'name'),
      boot: this.boot(o.boot),
      console: o.console === null ? null : this.oneOf(o.console, 'console', ['hvspec-debug'] as const),
      allocator: this.allocator(o.allocator),
      panic: this.panic(o.panic),
      layout: this.layout(o.layout),
      rules: this.rules(o.rules),
      platforms: this.platforms(o.platforms),
    };
    // a setting under which a rule cannot hold needs that rule waived, so no report shows it as checked
    const needsWaiver: [boolean, string, unknown, RuleId, string][] = [
      [profile.layout.cpuStruct.guard === null, 'layout.cpuStruct.guard', null, 'STACK-GUARD', 'there is no guard page'],
      [!profile.allocator.zeroes, 'allocator.zeroes', false, 'KMEM-ZEROED', 'alloc does not clear frames'],
      [profile.allocator.badFree !== 'verdict', 'allocator.badFree', profile.allocator.badFree, 'KMEM-FREE-VERDICT', 'free returns no verdict'],
    ];
    for (const [applies, field, value, rule, why] of needsWaiver) {
      if (applies && claimsRule(profile, rule)) this.bad(field, value, `${why}, so ${rule} cannot hold: waive it in rules.waived with the reason`);
    }
    return profile;
  }

  boot(v: unknown): ImageProfile['boot'] {
    const o = this.object(v, 'boot', { required: ['firmware', 'done'] });
    const firmware = this.oneOf(o.firmware, 'boot.firmware', ['builtin', 'opensbi', 'own'] as const);
    const d = o.done;
    if (typeof d !== 'object' || d === null || Array.isArray(d) || Object.keys(d).length !== 1) {
      this.bad('boot.done', d, 'must be one of {"console": TEXT}, {"pc": ADDRESS}, {"allIdle": true}');
    }
    const done = d as Json;
    if ('console' in done) return { firmware, done: { console: this.string(done.console, 'boot.done.console') } };
    if ('pc' in done) return { firmware, done: { pc: this.address(done.pc, 'boot.done.pc') } };
    if ('allIdle' in done) {
      if (done.allIdle !== true) this.bad('boot.done.allIdle', done.allIdle, 'must be true');
      return { firmware, done: { allIdle: true } };
    }
    const key = Object.keys(done)[0]!;
    return this.bad(`boot.done.${key}`, done[key], 'unknown field (known: console, pc, allIdle)');
  }

  allocator(v: unknown): ImageProfile['allocator'] {
    const f = 'allocator';
    const o = this.object(v, f, { required: ['alloc', 'free', 'returns', 'badFree', 'freeListHead', 'nextOffset', 'order', 'zeroes'], optional: ['counter', 'frameStates', 'init'] });
    const nextOffset = Number(this.bytes(o.nextOffset, `${f}.nextOffset`));
    if (nextOffset % 8 !== 0 || nextOffset > 4088) this.bad(`${f}.nextOffset`, o.nextOffset, 'must be a multiple of 8 inside the page (0 to 4088)');
    let frameStates: ImageProfile['allocator']['frameStates'];
    if (o.frameStates !== undefined) {
      const s = this.object(o.frameStates, `${f}.frameStates`, { required: ['symbol', 'free', 'allocated', 'reserved'] });
      const code = (k: 'free' | 'allocated' | 'reserved'): number => this.integer(s[k], `${f}.frameStates.${k}`, 0, 255);
      frameStates = { symbol: this.symbol(s.symbol, `${f}.frameStates.symbol`), free: code('free'), allocated: code('allocated'), reserved: code('reserved') };
      if (new Set([frameStates.free, frameStates.allocated, frameStates.reserved]).size !== 3) this.bad(`${f}.frameStates`, s, 'free, allocated and reserved must be three different codes');
    }
    return {
      alloc: this.symbol(o.alloc, `${f}.alloc`),
      free: this.symbol(o.free, `${f}.free`),
      returns: this.oneOf(o.returns, `${f}.returns`, ['linear-va', 'pa'] as const),
      badFree: this.oneOf(o.badFree, `${f}.badFree`, ['verdict', 'panic', 'accept'] as const),
      freeListHead: this.address(o.freeListHead, `${f}.freeListHead`),
      nextOffset,
      ...(o.counter === undefined ? {} : { counter: this.symbol(o.counter, `${f}.counter`) }),
      ...(frameStates === undefined ? {} : { frameStates }),
      order: this.oneOf(o.order, `${f}.order`, ['descending', 'any'] as const),
      zeroes: this.boolean(o.zeroes, `${f}.zeroes`),
      ...(o.init === undefined ? {} : { init: this.symbol(o.init, `${f}.init`) }),
    };
  }

  panic(v: unknown): ImageProfile['panic'] {
    const o = this.object(v, 'panic', { required: ['functions'], optional: ['consolePattern'] });
    if (!Array.isArray(o.functions)) this.bad('panic.functions', o.functions, 'must be a list of function names (may be empty)');
    const functions = o.functions.map((s, i) => this.symbol(s, `panic.functions[${i}]`));
    if (o.consolePattern === undefined) return { functions };
    const pattern = this.string(o.consolePattern, 'panic.consolePattern');
    try {
      new RegExp(pattern, 'm');
    } catch (e) {
      this.bad('panic.consolePattern', pattern, `not a regular expression (${(e as Error).message})`);
    }
    return { functions, consolePattern: pattern };
  }

  section(v: unknown, field: string): SectionBounds {
    const o = this.object(v, field, { required: ['start', 'end'] });
    return { start: this.address(o.start, `${field}.start`), end: this.address(o.end, `${field}.end`) };
  }

  part(v: unknown, field: string): CpuStructPart {
    const o = this.object(v, field, { required: ['offset', 'size'] });
    const offset = this.pageMultiple(o.offset, `${field}.offset`);
    const size = this.pageMultiple(o.size, `${field}.size`);
    if (size === 0n) this.bad(`${field}.size`, o.size, 'must be at least one page');
    if (offset + size > GiB) this.bad(field, o, "must lie in the cpu struct's gigabyte");
    return { offset: Number(offset), size: Number(size) };
  }

  layout(v: unknown): ImageProfile['layout'] {
    const o = this.object(v, 'layout', { required: ['loadOffset', 'text', 'rodata', 'data', 'bss', 'cpuStruct', 'accessedDirty'], optional: ['earlyTable', 'largestLeaf', 'devices', 'reserved'] });
    const loadOffset = this.bytes(o.loadOffset, 'layout.loadOffset');
    if (loadOffset % 0x1000n !== 0n) this.bad('layout.loadOffset', o.loadOffset, 'must be a multiple of 4 KiB');
    if (loadOffset === 0n || loadOffset >= GiB) this.bad('layout.loadOffset', o.loadOffset, 'must leave room for the firmware below it and lie in the first GiB of RAM');
    const c = this.object(o.cpuStruct, 'layout.cpuStruct', { required: ['guard', 'stack', 'info', 'trapStack'] });
    const cpuStruct = {
      guard: c.guard === null ? null : this.part(c.guard, 'layout.cpuStruct.guard'),
      stack: this.part(c.stack, 'layout.cpuStruct.stack'),
      info: this.part(c.info, 'layout.cpuStruct.info'),
      trapStack: this.part(c.trapStack, 'layout.cpuStruct.trapStack'),
    };
    this.cpuStructDisjoint(cpuStruct);
    const reservedJson = o.reserved ?? [];
    if (!Array.isArray(reservedJson)) this.bad('layout.reserved', reservedJson, 'must be a list of {"name", "start", "end"}');
    const reserved = reservedJson.map((r, i) => {
      const field = `layout.reserved[${i}]`;
      const ro = this.object(r, field, { required: ['name', 'start', 'end'] });
      const start = this.pageMultiple(ro.start, `${field}.start`);
      const end = this.pageMultiple(ro.end, `${field}.end`);
      if (end <= start) this.bad(`${field}.end`, ro.end, `must be above start ${show(start)}`);
      return { name: this.string(ro.name, `${field}.name`), start, end };
    });
    let earlyTable: ImageProfile['layout']['earlyTable'] = { global: true, linearGigapages: 'ram' };
    if (o.earlyTable !== undefined) {
      const e = this.object(o.earlyTable, 'layout.earlyTable', { required: ['global', 'linearGigapages'] });
      const linear = e.linearGigapages === 'ram' ? 'ram' : this.integer(e.linearGigapages, 'layout.earlyTable.linearGigapages', 1, 256);
      earlyTable = { global: this.boolean(e.global, 'layout.earlyTable.global'), linearGigapages: linear };
    }
    let largestLeaf = GiB;
    if (o.largestLeaf !== undefined) {
      largestLeaf = this.bytes(o.largestLeaf, 'layout.largestLeaf');
      if (![GiB, 2n * MiB, 0x1000n].includes(largestLeaf)) this.bad('layout.largestLeaf', o.largestLeaf, 'must be a leaf size: "1 GiB", "2 MiB" or "4 KiB"');
    }
    const known = VIRT_DEVICES.map((d) => d.name);
    let devices: string[] = known;
    if (o.devices !== undefined) {
      if (!Array.isArray(o.devices)) this.bad('layout.devices', o.devices, `must be a list of device names (${known.join(', ')})`);
      devices = o.devices.map((d, i) => this.oneOf(d, `layout.devices[${i}]`, known));
      if (!devices.includes(SERIAL_CONSOLE)) this.bad('layout.devices', o.devices, `must include the serial console '${SERIAL_CONSOLE}'`);
    }
    return {
      loadOffset,
      earlyTable,
      largestLeaf,
      devices,
      text: this.section(o.text, 'layout.text'),
      rodata: this.section(o.rodata, 'layout.rodata'),
      data: this.section(o.data, 'layout.data'),
      bss: this.section(o.bss, 'layout.bss'),
      cpuStruct,
      accessedDirty: this.oneOf(o.accessedDirty, 'layout.accessedDirty', ['preset', 'hardware'] as const),
      reserved,
    };
  }

  /** Guard, stack and info are pairwise disjoint; the trap stack is disjoint from them or lies inside the info page(s). */
  cpuStructDisjoint(c: ImageProfile['layout']['cpuStruct']): void {
    const end = (p: CpuStructPart): number => p.offset + p.size;
    const overlap = (a: CpuStructPart, b: CpuStructPart): boolean => a.offset < end(b) && b.offset < end(a);
    const parts: [string, CpuStructPart | null][] = [['guard', c.guard], ['stack', c.stack], ['info', c.info]];
    parts.forEach(([name, p], i) => {
      for (const [otherName, other] of parts.slice(0, i)) {
        if (p && other && overlap(p, other)) this.bad(`layout.cpuStruct.${name}`, p, `overlaps layout.cpuStruct.${otherName}`);
      }
    });
    if (c.guard && c.guard.offset + c.guard.size !== c.stack.offset) this.bad('layout.cpuStruct.guard', c.guard, `must end where the stack starts (offset ${c.stack.offset}): an overflow runs down into it`);
    const t = c.trapStack;
    const insideInfo = t.offset >= c.info.offset && end(t) <= end(c.info);
    for (const [name, p] of parts) {
      if (p && overlap(t, p) && !(name === 'info' && insideInfo)) this.bad('layout.cpuStruct.trapStack', t, `overlaps layout.cpuStruct.${name} (it may only lie inside the info part)`);
    }
  }

  rules(v: unknown): ImageProfile['rules'] {
    const o = this.object(v, 'rules', { required: ['claims', 'waived'] });
    const rule = (r: unknown, field: string): RuleId => {
      if (!RULE_IDS.includes(r as RuleId)) this.bad(field, r, `not a rule of SPEC.md (${RULE_IDS.join(', ')})`);
      return r as RuleId;
    };
    let claims: 'all' | RuleId[];
    if (o.claims === 'all') claims = 'all';
    else if (Array.isArray(o.claims)) claims = o.claims.map((r, i) => rule(r, `rules.claims[${i}]`));
    else return this.bad('rules.claims', o.claims, 'must be "all" (every rule not waived) or a list of rule ids');
    if (!Array.isArray(o.waived)) this.bad('rules.waived', o.waived, 'must be a list of {"rule", "reason"}');
    const waived = o.waived.map((w, i) => {
      const wo = this.object(w, `rules.waived[${i}]`, { required: ['rule', 'reason'] });
      return { rule: rule(wo.rule, `rules.waived[${i}].rule`), reason: this.string(wo.reason, `rules.waived[${i}].reason`) };
    });
    waived.forEach((w, i) => {
      if (waived.slice(0, i).some((x) => x.rule === w.rule)) this.bad(`rules.waived[${i}].rule`, w.rule, 'is waived twice');
      if (claims !== 'all' && claims.includes(w.rule)) this.bad(`rules.waived[${i}].rule`, w.rule, 'is both claimed and waived');
    });
    if (claims !== 'all') {
      const missing = RULE_IDS.find((r) => !(claims as RuleId[]).includes(r) && !waived.some((w) => w.rule === r));
      if (missing !== undefined) this.bad('rules.claims', o.claims, `${missing} is neither claimed nor waived (a rule not claimed needs a reason in rules.waived)`);
    }
    return { claims, waived };
  }

  platforms(v: unknown): ImageProfile['platforms'] {
    const o = this.object(v, 'platforms', { required: ['harts', 'ramSize', 'bootHart'], optional: ['hartIds', 'reason'] });
    const h = this.object(o.harts, 'platforms.harts', { required: ['min', 'max'] });
    const design = DESIGN_PLATFORMS;
    const min = this.integer(h.min, 'platforms.harts.min', design.harts.min, design.harts.max);
    const max = this.integer(h.max, 'platforms.harts.max', min, design.harts.max);
    const r = this.object(o.ramSize, 'platforms.ramSize', { required: ['min', 'max'] });
    const ramMin = this.pageMultiple(r.min, 'platforms.ramSize.min');
    const ramMax = this.pageMultiple(r.max, 'platforms.ramSize.max');
    if (ramMin < design.ramSize.min || ramMin > design.ramSize.max) this.bad('platforms.ramSize.min', r.min, 'must be from 16 MiB to 16 GiB');
    if (ramMax < ramMin || ramMax > design.ramSize.max) this.bad('platforms.ramSize.max', r.max, `must be from ramSize.min (${show(ramMin)}) to 16 GiB`);
    const platforms = { harts: { min, max }, ramSize: { min: ramMin, max: ramMax }, bootHart: this.oneOf(o.bootHart, 'platforms.bootHart', ['any', 'zero'] as const), hartIds: o.hartIds === undefined ? ('any' as const) : this.oneOf(o.hartIds, 'platforms.hartIds', ['any', 'from-0'] as const) };
    const reason = o.reason === undefined ? undefined : this.string(o.reason, 'platforms.reason');
    if (narrowerPlatformClaim(platforms) !== undefined && reason === undefined) this.bad('platforms.reason', undefined, 'is required: the claim is narrower than the design\'s, and reports show why');
    return reason === undefined ? platforms : { ...platforms, reason };
  }
}

/** How `platforms` is narrower than the design's claim (one line), or undefined when it is not. */
export function narrowerPlatformClaim(platforms: Pick<ImageProfile['platforms'], 'harts' | 'ramSize' | 'bootHart' | 'hartIds'>): string | undefined {
  const d = DESIGN_PLATFORMS;
  const parts: string[] = [];
  const size = (n: bigint): string => (n % GiB === 0n ? `${n / GiB} GiB` : n % MiB === 0n ? `${n / MiB} MiB` : `0x${n.toString(16)} B`);
  if (platforms.harts.min !== d.harts.min || platforms.harts.max !== d.harts.max) parts.push(`${platforms.harts.min} to ${platforms.harts.max} harts (the design: ${d.harts.min} to ${d.harts.max})`);
  if (platforms.ramSize.min !== d.ramSize.min || platforms.ramSize.max !== d.ramSize.max) parts.push(`RAM ${size(platforms.ramSize.min)} to ${size(platforms.ramSize.max)} (the design: 16 MiB to 16 GiB)`);
  if (platforms.bootHart !== d.bootHart) parts.push('boot hart 0 (the design: any hart)');
  if (platforms.hartIds !== d.hartIds) parts.push('hart ids 0 to N-1');
  return parts.length === 0 ? undefined : parts.join(', ');
}

/** Whether the profile claims `rule`. */
export function claimsRule(profile: ImageProfile, rule: RuleId): boolean {
  if (profile.rules.waived.some((w) => w.rule === rule)) return false;
  return profile.rules.claims === 'all' || profile.rules.claims.includes(rule);
}

/** Why the profile waives `rule`, or undefined when it claims it. */
export function waiverReason(profile: ImageProfile, rule: RuleId): string | undefined {
  return profile.rules.waived.find((w) => w.rule === rule)?.reason;
}

/** A profile names a symbol the image does not have: whatever needs it is skipped, naming it. */
export class UnresolvedAddressError extends Error {
  override readonly name = 'UnresolvedAddressError';
  constructor(
    readonly expression: string,
    readonly symbol: string,
    readonly image: string,
  ) {
    super(`${image}: no symbol ${symbol} (the profile's ${expression})`);
  }
}

/** The link address an address expression names in `symbols` (name -> value); throws UnresolvedAddressError for a missing symbol. */
export function resolveAddress(expression: AddressExpression, symbol: (name: string) => bigint | undefined, image: string): bigint {
  if (/^0x[0-9a-fA-F]+$/.test(expression)) return BigInt(expression);
  const m = /^([A-Za-z_.$][A-Za-z0-9_.$]*)(?:([+-])(0x[0-9a-fA-F]+|[0-9]+))?$/.exec(expression);
  if (!m) throw new RangeError(`address expression ${JSON.stringify(expression)}: must be a symbol, symbol+offset, symbol-offset or a 0x hex address`);
  const base = symbol(m[1]!);
  if (base === undefined) throw new UnresolvedAddressError(expression, m[1]!, image);
  const offset = m[3] === undefined ? 0n : BigInt(m[3]);
  return m[2] === '-' ? base - offset : base + offset;
}
