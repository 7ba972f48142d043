/**
 * The early boot table (design: "Early boot shenanigans / before C code"; SPEC.md "The early boot
 * table"): one root table of gigapage leaves that the boot hart builds before any C code runs, so
 * dynamic memory management can wait.
 */
import { canonicalize, GIGAPAGE_SIZE, GiB, vpn, pageRoundUp } from './address.js';
import { VAS_KERNEL, VAS_RAM } from './layout.js';
import type { Platform } from './platform.js';
import { mergeRuns, type LeafFlags, type LeafRun } from './sv39/mapping.js';

export type EarlyEntryPurpose = 'serial console' | 'identity' | 'kernel image' | 'kernel physical memory';

export interface EarlyBootEntry {
  /** VPN[2] index in the root table. */
  readonly index: number;
  readonly va: bigint;
  readonly pa: bigint;
  readonly flags: LeafFlags;
  readonly purpose: EarlyEntryPurpose;
}


/**
 * The early table's entries, by VPN[2] index. VAS_RAM gets one gigapage per started GiB of RAM, not
 * just one: kmem init walks all of RAM through this mapping before the final tables exist, so with
 * more than 1 GiB of RAM a single gigapage would leave frames it must link unreachable (or a fixed
 * count covering RAM, design.earlyTable.linearGigapages). Leaves are G, A and D unless the design
 * says otherwise (design.earlyTable.global, design.accessedDirty).
 */
export function earlyBootTable(platform: Platform): EarlyBootEntry[] {
  const { ramBase, ramSize, design } = platform;
  const preset = design.accessedDirty === 'preset';
  const RW_: LeafFlags = { r: true, w: true, x: false, u: false, g: design.earlyTable.global, a: preset, d: preset };
  const RWX: LeafFlags = { ...RW_, x: true };
  const entry = (va: bigint, pa: bigint, flags: LeafFlags, purpose: EarlyEntryPurpose): EarlyBootEntry => ({
    index: vpn(2, va),
    va: canonicalize(va),
    pa,
    flags,
    purpose,
  });
  const linear = design.earlyTable.linearGigapages;
  const ramGigapages = linear === 'ram' ? pageRoundUp(ramSize, GIGAPAGE_SIZE) / GIGAPAGE_SIZE : BigInt(linear);
  const entries = [
    entry(0n, 0n, RW_, 'serial console'),
    entry(ramBase, ramBase, RWX, 'identity'),
    entry(VAS_KERNEL, ramBase, RWX, 'kernel image'),
  ];
  for (let i = 0n; i < ramGigapages; i++) entries.push(entry(VAS_RAM + i * GiB, ramBase + i * GiB, RW_, 'kernel physical memory'));
  return entries;
}

/** The early table as the runs `flatten` would show for it. */
export function earlyBootRuns(platform: Platform): LeafRun[] {
  return mergeRuns(
    earlyBootTable(platform).map((e) => ({ va: e.va, pa: e.pa, size: GIGAPAGE_SIZE, pageSize: GIGAPAGE_SIZE, flags: e.flags, rsw: 0 })),
  );
}
