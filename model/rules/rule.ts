/**
 * Rule identities. A rule is a small pure predicate over the smallest slice of (observed or expected)
 * state it needs; it returns undefined when it holds, or a Violation naming itself and explaining the
 * first thing that breaks it (which VA, PA, frame or hart). SPEC.md lists every ID in RULES.
 */

export const RULES = [
  { id: 'MAP-DISJOINT', statement: 'Mappings never collide: regions are pairwise disjoint in VA, cpu-struct frames are distinct across harts, and no frame the tables use (page-table or cpu-struct frame) is free or used twice.' },
  { id: 'MAP-GLOBAL', statement: 'Every leaf is global except the cpu struct\'s, and no PTE on the path to the cpu struct has G set.' },
  { id: 'MAP-WX', statement: 'No mapping is both writable and executable.' },
  { id: 'MAP-USER', statement: 'No PTE has U set: the hypervisor maps nothing for user mode.' },
  { id: 'MAP-AD', statement: 'Every leaf has A set, and D set exactly when W is set.' },
  { id: 'MAP-SHARED', statement: 'Outside the cpu struct\'s gigabyte, every hart maps exactly the same leaves.' },
  { id: 'MAP-EXACT', statement: 'Each hart\'s final table maps exactly expectedAddressSpace(platform, hart): the same runs, PAs, flags and page sizes, and a cpu struct of 7 private RW- non-global 4 KiB pages in RAM outside every reserved range.' },
  { id: 'STACK-GUARD', statement: 'The page just below each hart\'s stack is unmapped while the whole stack is writable, so a stack overflow\'s first fault lands in the guard page before anything outside the stack is written.' },
  { id: 'BOOT-EARLY', statement: 'The early boot table is one root in .bss holding exactly earlyBootTable(platform): gigapage leaves only, nothing else valid.' },
  { id: 'BOOT-COMPLETES', statement: 'On every platform the design supports (1 to 8 harts, any of them the boot hart, 16 MiB to 16 GiB of RAM) the boot completes: the image reports ready or settles, nothing panics, no hart takes an exception other than an SBI call (made by the hypervisor, or by a guest it runs), and every hart ends up running on a final page table of its own.' },
  { id: 'KMEM-INTEGRITY', statement: 'The free list ends, has no repeats, and holds only page-aligned linear-map addresses of RAM frames that are neither reserved nor in use, and agrees with kmem_nfree and the frame-state table.' },
  { id: 'KMEM-NO-DOUBLE-FREE', statement: 'kalloc never hands out a frame that is still allocated, and kfree never accepts a frame that is not allocated.' },
  { id: 'KMEM-FREE-VERDICT', statement: 'kfree\'s verdict is the first that applies of Misaligned, OutOfRange, Reserved, DoubleFree, else Ok.' },
  { id: 'KMEM-SEQUENTIAL', statement: 'One call at a time, kalloc and kfree behave exactly as the model\'s sequential allocator: kalloc returns the head of the free list (after boot the highest free frame, afterwards the most recently freed) and NULL exactly when the list is empty, kfree gives the model\'s verdict and on Ok pushes the frame on the head, and the free count follows.' },
  { id: 'KMEM-CONCURRENT', statement: 'Concurrent kalloc and kfree calls on any harts are linearizable: for every frame, some order of its calls consistent with their timing is one the sequential allocator of KMEM-SEQUENTIAL allows (whichever free frame kalloc picks), so no frame is ever owned twice.' },
  { id: 'KMEM-ZEROED', statement: 'Every byte of a frame kalloc returns is zero.' },
  { id: 'TLB-DISCIPLINE', statement: 'Every translation a hart uses agrees with a walk of its current page table at that moment: it reaches the same PA, and the access is permitted by the leaf it used exactly when the current table permits it, so no stale TLB entry ever reaches another frame or grants or refuses other rights.' },
  { id: 'GUEST-DISJOINT', statement: 'No host frame backs two guest pages, two VMs, or a VM and anything of the hypervisor\'s: every guest page and G-stage table frame is a RAM frame outside every reserved range, not a host page-table or cpu-struct frame, and not free.' },
  { id: 'GUEST-EXACT', statement: 'Each VM\'s G-stage table maps exactly its guest RAM [0x8000_0000, + ram size), with no hole, nothing else, and no malformed PTE.' },
  { id: 'GUEST-G-STAGE-FLAGS', statement: 'Every G-stage leaf has U (the spec checks every G-stage access as a U-mode one) and A, D exactly when W, and maps no host device unless the VM\'s configuration passes it through.' },
  { id: 'GUEST-RECLAIM', statement: 'Destroying a VM returns exactly its frames, G-stage table frames included: the free count and free list are as the model\'s destroyVm says, nothing leaks and nothing is freed twice.' },
  { id: 'HFENCE-DISCIPLINE', statement: 'Every guest translation a hart uses reaches the host page a walk of its current G-stage table gives at that moment, so no stale G-stage translation survives a table change or a VMID reuse.' },
  { id: 'GUEST-ISOLATION', statement: 'Every byte a guest\'s own loads, stores and fetches touch lies in a host frame its G-stage table gives it.' },
] as const;

export type RuleId = (typeof RULES)[number]['id'];
export const RULE_IDS: readonly RuleId[] = RULES.map((r) => r.id);

export interface Violation {
  readonly rule: RuleId;
  readonly message: string;
}

/** A rule holds (undefined) or is violated. */
export type RuleVerdict = Violation | undefined;

export function violation(rule: RuleId, message: string): Violation {
  return { rule, message };
}

/** "RULE-ID: message", the form failures are printed in. */
export function formatViolation(v: Violation): string {
  return `${v.rule}: ${v.message}`;
}
