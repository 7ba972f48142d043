/**
 * Every leaf mapping of a page table, merged into runs and sorted by VA, the way Linux's ptdump shows
 * a table; plus the table frames reached and every PTE a walk would fault on. Agrees with `walk`: an
 * address is in a run exactly when a walk of it reaches a well-formed leaf (steps 3, 4 and 6 pass).
 */
import { canonicalize, hex, isAligned, LEVELS, PAGE_SIZE, PTE_SIZE, PTES_PER_TABLE, pageSizeOfLevel, PAGE_SHIFT, VPN_BITS, type Level } from '../address.js';
import { mergeRuns, type LeafRun } from './mapping.js';
import { decodePte, isLeaf, ptePa } from './pte.js';
import type { ReadPhys, WalkFaultReason } from './walk.js';

/** A PTE that makes every walk through it fault for a structural reason. */
export interface TableAnomaly {
  /** The first VA the PTE covers. */
  readonly va: bigint;
  readonly level: Level;
  readonly pteAddr: bigint;
  readonly pte: bigint | null;
  readonly reason: Exclude<WalkFaultReason, 'non-canonical' | 'invalid' | 'no-permission'>;
}

export interface FlatTable {
  readonly root: bigint;
  readonly runs: readonly LeafRun[];
  /** PAs of the table frames reached from the root (root first, then depth-first in VA order), each once. */
  readonly tableFrames: readonly bigint[];
  readonly anomalies: readonly TableAnomaly[];
}

/** Flattens the table rooted at PA `root` (page aligned, as satp.ppn × PAGESIZE is). */
export function flatten(readPhys: ReadPhys, root: bigint): FlatTable {
  if (!isAligned(root, PAGE_SIZE)) throw new RangeError(`flatten: root ${hex(root)} is not page aligned (satp holds a PPN)`);
  const pages: LeafRun[] = [];
  const frames = new Set<bigint>();
  const anomalies: TableAnomaly[] = [];

  const visit = (table: bigint, level: Level, vaBase: bigint, global: boolean): void => {
    frames.add(table);
    const span = pageSizeOfLevel(level);
    for (let index = 0; index < PTES_PER_TABLE; index++) {
      const va = level === LEVELS - 1 ? canonicalize(BigInt(index) << (PAGE_SHIFT + VPN_BITS * 2n)) : vaBase + BigInt(index) * span;
      const pteAddr = table + BigInt(index) * PTE_SIZE;
      const raw = readPhys(pteAddr);
      if (raw === undefined) {
        anomalies.push({ va, level, pteAddr, pte: null, reason: 'pte-access' });
        continue;
      }
      const pte = decodePte(raw);
      const { flags } = pte;
      if (!flags.v) continue;
      if (!flags.r && flags.w) {
        anomalies.push({ va, level, pteAddr, pte: raw, reason: 'write-without-read' });
        continue;
      }
      if (pte.reserved !== 0n || (!isLeaf(flags) && (flags.d || flags.a || flags.u))) {
        anomalies.push({ va, level, pteAddr, pte: raw, reason: 'reserved-bits' });
        continue;
      }
      if (!isLeaf(flags)) {
        if (level === 0) anomalies.push({ va, level, pteAddr, pte: raw, reason: 'non-leaf-at-level-0' });
        else visit(ptePa(pte), (level - 1) as Level, va, global || flags.g);
        continue;
      }
      if ((pte.ppn & ((1n << (VPN_BITS * BigInt(level))) - 1n)) !== 0n) {
        anomalies.push({ va, level, pteAddr, pte: raw, reason: 'misaligned-superpage' });
        continue;
      }
      pages.push({
        va,
        pa: ptePa(pte),
        size: span,
        pageSize: span,
        flags: { r: flags.r, w: flags.w, x: flags.x, u: flags.u, g: global || flags.g, a: flags.a, d: flags.d },
        rsw: pte.rsw,
      });
    }
  };

  visit(root, (LEVELS - 1) as Level, 0n, false);
  return { root, runs: mergeRuns(pages), tableFrames: [...frames], anomalies };
}
