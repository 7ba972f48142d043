/**
 * Test helper: a machine state made from the model alone, as a correct hypervisor would leave it after
 * boot: the early table in .bss, kmem initialised, and per hart 7 cpu-struct frames and the table
 * frames taken from kalloc and a table built from expectedAddressSpace. Feeding its observation to the
 * rules checks that the model's pieces agree with each other.
 */
import {
  alloc,
  buildPageTable,
  cpuStructMapped,
  cpuStructPages,
  DESIGN_PARAMETERS,
  earlyBootRuns,
  expectedAddressSpace,
  expectedFixedRuns,
  flatten,
  imageReader,
  initKmem,
  leafFlagsOf,
  observeKmem,
  PAGE_SIZE,
  type FlatTable,
  type KmemState,
  type LeafRun,
  type Observation,
  type ObservedHart,
  type DesignParameters,
  type PageTableImage,
  type Platform,
} from '../../model/index.js';

export interface ModelMachine {
  readonly platform: Platform;
  readonly early: PageTableImage;
  readonly earlyTable: FlatTable;
  readonly images: readonly PageTableImage[];
  readonly harts: readonly ObservedHart[];
  readonly kmem: KmemState;
}

function allocMany(state: KmemState, n: number): { state: KmemState; pas: bigint[] } {
  const pas: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const r = alloc(state);
    state = r.state;
    // platforms have at least 16 MiB, far more than the tables need
    pas.push((r.result as { pa: bigint }).pa);
  }
  return { state, pas };
}

/** The cpu struct's mapped pages (7 in SPEC.md's layout, `design`'s otherwise) mapped to `frames`, one run per page. */
export function cpuStructRuns(frames: readonly bigint[], design: DesignParameters = DESIGN_PARAMETERS): LeafRun[] {
  const flags = leafFlagsOf({ r: true, w: true, x: false }, false, design.accessedDirty);
  const vas = cpuStructMapped(design.cpuStruct).flatMap((r) => Array.from({ length: Number((r.end - r.start) / PAGE_SIZE) }, (_, i) => r.start + BigInt(i) * PAGE_SIZE));
  return frames.map((pa, i) => ({ va: vas[i]!, pa, size: PAGE_SIZE, pageSize: PAGE_SIZE, flags, rsw: 0 }));
}

export function modelMachine(platform: Platform): ModelMachine {
  const early = buildPageTable(earlyBootRuns(platform), { tableFrames: [platform.image.bss.start] });
  let kmem = initKmem(platform);
  const images: PageTableImage[] = [];
  for (let hart = 0; hart < platform.harts; hart++) {
    const cpu = allocMany(kmem, cpuStructPages(platform.design.cpuStruct));
    const runs = [...expectedFixedRuns(expectedAddressSpace(platform, hart)), ...cpuStructRuns(cpu.pas, platform.design)];
    const needed = buildPageTable(runs).frames.size;
    const tables = allocMany(cpu.state, needed);
    kmem = tables.state;
    images.push(buildPageTable(runs, { tableFrames: tables.pas }));
  }
  return {
    platform,
    early,
    earlyTable: flatten(imageReader(early), early.root),
    images,
    harts: images.map((image, hart) => ({ hart, table: flatten(imageReader(image), image.root) })),
    kmem,
  };
}

/** Everything the machine shows, as the property suite would observe it. */
export function observe(machine: ModelMachine, withKmem = true): Observation {
  return {
    platform: machine.platform,
    harts: machine.harts,
    earlyTable: machine.earlyTable,
    ...(withKmem ? { kmem: observeKmem(machine.kmem) } : {}),
  };
}
