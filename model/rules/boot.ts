/** BOOT-EARLY: the early boot table, checked on the flattened root the boot hart wrote to satp. */
import { formatRange, hex } from '../address.js';
import { earlyBootRuns } from '../early-boot.js';
import type { Platform } from '../platform.js';
import type { FlatTable } from '../sv39/flatten.js';
import { mergeRuns } from '../sv39/mapping.js';
import { firstDifference } from './map.js';
import { violation, type RuleVerdict } from './rule.js';

/** BOOT-EARLY: one root in .bss, no pointers, no malformed PTEs, and exactly earlyBootTable's gigapages. */
export function earlyTableExact(platform: Platform, table: FlatTable): RuleVerdict {
  const { bss } = platform.image;
  if (table.root < bss.start || table.root >= bss.end || table.root % 0x1000n !== 0n) {
    return violation('BOOT-EARLY', `the early root ${hex(table.root)} is not a page-aligned frame in .bss ${formatRange(bss)}`);
  }
  const anomaly = table.anomalies[0];
  if (anomaly) return violation('BOOT-EARLY', `PTE at ${hex(anomaly.pteAddr)} (VA ${hex(anomaly.va)}) is malformed: ${anomaly.reason}`);
  const extra = table.tableFrames.find((f) => f !== table.root);
  if (extra !== undefined) return violation('BOOT-EARLY', `the early table points to a next-level table at ${hex(extra)}; only gigapage leaves are allowed`);
  const diff = firstDifference(earlyBootRuns(platform), mergeRuns(table.runs));
  return diff === undefined ? undefined : violation('BOOT-EARLY', diff);
}
