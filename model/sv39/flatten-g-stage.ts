/**
 * Every leaf of a G-stage (Sv39x4) table, merged into runs sorted by guest-physical address: what
 * `flatten` is for an Sv39 table, with the differences the hypervisor extension makes (privileged
 * spec 1.12, "Guest Physical Address Translation"): a 16 KiB root of 2048 PTEs indexed by GPA bits
 * 40..30, GPAs not sign-extended, and the G bit ignored (so `flags.g` is always false here). A run's
 * `va` field holds the GPA. Agrees with `gStageWalk` on which GPAs reach a well-formed leaf.
 */
import { hex, PAGE_SHIFT, PTE_SIZE, pageSizeOfLevel, VPN_BITS, type Level } from '../address.js';
import { mergeRuns, type LeafRun } from './mapping.js';
import { decodePte, isLeaf, ptePa } from './pte.js';
import type { TableAnomaly } from './flatten.js';
import { G_STAGE_ROOT_SIZE } from './two-stage.js';
import type { ReadPhys } from './walk.js';

/** PTEs in the Sv39x4 root: 2^11. */
export const G_STAGE_ROOT_PTES = 2048;
const PTES_PER_LOWER_TABLE = 512;

export interface FlatGStage {
  /** The root's SPA (hgatp.PPN × 4 KiB). */
  readonly root: bigint;
  /** Leaves by GPA (`va` is the GPA), merged as ptdump shows them. */
  readonly runs: readonly LeafRun[];
  /** The 4 KiB frames of the tables: the root's four first (ascending), then lower tables depth-first by GPA. */
  readonly tableFrames: readonly bigint[];
  readonly anomalies: readonly TableAnomaly[];
}

/** Flattens the Sv39x4 table rooted at SPA `root` (16 KiB aligned). */
export function flattenGStage(readPhys: ReadPhys, root: bigint): FlatGStage {
  if (root % G_STAGE_ROOT_SIZE !== 0n) throw new RangeError(`flattenGStage: root ${hex(root)} is not 16 KiB aligned (Sv39x4)`);
  const leaves: LeafRun[] = [];
  const frames: bigint[] = [root, root + 0x1000n, root + 0x2000n, root + 0x3000n];
  const anomalies: TableAnomaly[] = [];

  const visit = (table: bigint, level: Level, gpaBase: bigint, entries: number): void => {
    const span = pageSizeOfLevel(level);
    for (let index = 0; index < entries; index++) {
      const gpa = gpaBase + BigInt(index) * span;
      const pteAddr = table + BigInt(index) * PTE_SIZE;
      const raw = readPhys(pteAddr);
      if (raw === undefined) {
        anomalies.push({ va: gpa, level, pteAddr, pte: null, reason: 'pte-access' });
        continue;
      }
      const pte = decodePte(raw);
      const { flags } = pte;
      if (!flags.v) continue;
      if (!flags.r && flags.w) {
        anomalies.push({ va: gpa, level, pteAddr, pte: raw, reason: 'write-without-read' });
        continue;
      }
      if (pte.reserved !== 0n || (!isLeaf(flags) && (flags.d || flags.a || flags.u))) {
        anomalies.push({ va: gpa, level, pteAddr, pte: raw, reason: 'reserved-bits' });
        continue;
      }
      if (!isLeaf(flags)) {
        if (level === 0) {
          anomalies.push({ va: gpa, level, pteAddr, pte: raw, reason: 'non-leaf-at-level-0' });
          continue;
        }
        const next = ptePa(pte);
        if (!frames.includes(next)) frames.push(next);
        visit(next, (level - 1) as Level, gpa, PTES_PER_LOWER_TABLE);
        continue;
      }
      if ((pte.ppn & ((1n << (VPN_BITS * BigInt(level))) - 1n)) !== 0n) {
        anomalies.push({ va: gpa, level, pteAddr, pte: raw, reason: 'misaligned-superpage' });
        continue;
      }
      leaves.push({
        va: gpa,
        pa: ptePa(pte),
        size: span,
        pageSize: span,
        flags: { r: flags.r, w: flags.w, x: flags.x, u: flags.u, g: false, a: flags.a, d: flags.d },
        rsw: pte.rsw,
      });
    }
  };

  visit(root, 2, 0n, G_STAGE_ROOT_PTES);
  return { root, runs: mergeRuns(leaves), tableFrames: frames, anomalies };
}

/** The guest-physical pages of `runs`, each with its host frame, in GPA order. */
export function gStagePages(runs: readonly LeafRun[]): { gpa: bigint; pa: bigint }[] {
  const pages: { gpa: bigint; pa: bigint }[] = [];
  for (const run of runs) {
    for (let off = 0n; off < run.size; off += 1n << PAGE_SHIFT) pages.push({ gpa: run.va + off, pa: run.pa + off });
  }
  return pages;
}
