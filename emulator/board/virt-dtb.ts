/**
 * The device tree of the `virt` machine this emulator builds: the nodes,
 * names and compatible strings QEMU 7.2 writes for the devices we model
 * (hw/riscv/virt.c create_fdt_*; checked against `-machine virt,dumpdtb=` in
 * test/emulator/fdt.test.ts), with addresses from the board map (virt-map.ts).
 *
 * QEMU's nodes deliberately left out, because the devices are not modelled:
 * pmu, fw-cfg, flash, platform-bus, soc/rtc; and
 * /chosen/rng-seed (a run must not depend on host entropy). The cpus
 * advertise what the emulated hart implements (`isa`), not QEMU's default
 * rv64imafdch... with Sv48.
 */
import { fdtNode, findNode, nodeNameProblem, prop, writeFdt, type FdtNode, type FdtProperty } from './fdt.js';
import {
  pcieHighMmioRegion,
  ramRegion,
  regionSize,
  virtioMmioRegion,
  VIRT_IRQ,
  VIRT_MAP,
  VIRT_MAX_HARTS,
  VIRT_PLIC_NUM_SOURCES,
  VIRT_RAM_BASE,
  VIRT_TIMEBASE_FREQUENCY,
  VIRT_UART_CLOCK_FREQUENCY,
  VIRT_VIRTIO_COUNT,
  type Region,
} from './virt-map.js';
import { FINISHER_PASS, FINISHER_RESET } from '../devices/sifive-test.js';

/** Interrupt numbers in `interrupts-extended` (privileged spec, mip bits). */
const IRQ_M_SOFT = 3;
const IRQ_M_TIMER = 7;
const IRQ_S_EXT = 9;
const IRQ_M_EXT = 11;

/** The ISA string of the default hart: RV64IMAC with the hypervisor extension, Zicsr and Zifencei, no F/D. */
export const DEFAULT_RISCV_ISA = 'rv64imach_zicsr_zifencei';
/** The ISA string of a hart built without the hypervisor extension (`isa: 'rv64imac'`). */
export const RISCV_ISA_WITHOUT_H = 'rv64imac_zicsr_zifencei';

export interface ReservedRange {
  readonly base: number;
  readonly size: number;
  /** Node name without the unit address, e.g. "mmode_resv0". */
  readonly name: string;
}

export interface VirtDtbOptions {
  /** 1..8. */
  readonly harts: number;
  /** Bytes of RAM, 16 MiB..16 GiB, a multiple of 4 KiB. */
  readonly ramSize: number;
  readonly ramBase?: number;
  /** /chosen/bootargs, written only when given. */
  readonly bootargs?: string;
  /** Ranges written as /reserved-memory children with `no-map` (where firmware lives). Must lie in RAM and not overlap. */
  readonly reserved?: readonly ReservedRange[];
  /** /chosen/stdout-path; an absolute path must name a node of the tree (an optional `:options` suffix is allowed). */
  readonly stdoutPath?: string;
  /** `riscv,isa` of every cpu. */
  readonly isa?: string;
  /** Header boot_cpuid_phys. */
  readonly bootHart?: number;
}

/** Path of the UART node, QEMU's stdout-path. */
export const VIRT_UART_PATH = `/soc/serial@${VIRT_MAP.uart0.base.toString(16)}`;

/** Phandles, fixed per hart count so two builds of the same machine are identical. */
function phandles(harts: number): { cpu: (h: number) => number; intc: (h: number) => number; plic: number; test: number } {
  return { cpu: (h) => 1 + 2 * h, intc: (h) => 2 + 2 * h, plic: 2 * harts + 1, test: 2 * harts + 2 };
}

/** The tree for `options`; throws RangeError naming the bad option. */
export function virtDeviceTree(options: VirtDtbOptions): FdtNode {
  const { harts } = options;
  if (!Number.isInteger(harts) || harts < 1 || harts > VIRT_MAX_HARTS) {
    throw new RangeError(`harts must be 1..${VIRT_MAX_HARTS}, got ${harts}`);
  }
  const bootHart = options.bootHart ?? 0;
  if (!Number.isInteger(bootHart) || bootHart < 0 || bootHart >= harts) {
    throw new RangeError(`bootHart must be 0..${harts - 1}, got ${bootHart}`);
  }
  const ram = ramRegion(options.ramSize, options.ramBase ?? VIRT_RAM_BASE);
  const ph = phandles(harts);
  const hex = (n: number): string => n.toString(16);
  const reg = (region: Region): FdtProperty => prop.u64('reg', region.base, regionSize(region));

  const cpus = fdtNode(
    'cpus',
    [prop.u32('#address-cells', 1), prop.u32('#size-cells', 0), prop.u32('timebase-frequency', VIRT_TIMEBASE_FREQUENCY)],
    [
      ...Array.from({ length: harts }, (_, h) =>
        fdtNode(
          `cpu@${hex(h)}`,
          [
            prop.u32('phandle', ph.cpu(h)),
            prop.strings('device_type', 'cpu'),
            prop.u32('reg', h),
            prop.strings('status', 'okay'),
            prop.strings('compatible', 'riscv'),
            prop.strings('riscv,isa', options.isa ?? DEFAULT_RISCV_ISA),
            prop.strings('mmu-type', 'riscv,sv39'),
          ],
          [
            fdtNode('interrupt-controller', [
              prop.u32('#interrupt-cells', 1),
              prop.empty('interrupt-controller'),
              prop.strings('compatible', 'riscv,cpu-intc'),
              prop.u32('phandle', ph.intc(h)),
            ]),
          ],
        ),
      ),
      fdtNode('cpu-map', [], [
        fdtNode(
          'cluster0',
          [],
          Array.from({ length: harts }, (_, h) => fdtNode(`core${h}`, [prop.u32('cpu', ph.cpu(h))])),
        ),
      ]),
    ],
  );

  const perHart = (pair: (h: number) => number[]): number[] => Array.from({ length: harts }, (_, h) => pair(h)).flat();
  const soc = fdtNode(
    'soc',
    [prop.u32('#address-cells', 2), prop.u32('#size-cells', 2), prop.strings('compatible', 'simple-bus'), prop.empty('ranges')],
    [
      fdtNode(`clint@${hex(VIRT_MAP.clint.base)}`, [
        prop.u32('interrupts-extended', ...perHart((h) => [ph.intc(h), IRQ_M_SOFT, ph.intc(h), IRQ_M_TIMER])),
        reg(VIRT_MAP.clint),
        prop.strings('compatible', 'sifive,clint0', 'riscv,clint0'),
      ]),
      fdtNode(`plic@${hex(VIRT_MAP.plic.base)}`, [
        prop.u32('phandle', ph.plic),
        prop.u32('riscv,ndev', VIRT_PLIC_NUM_SOURCES),
        reg(VIRT_MAP.plic),
        prop.u32('interrupts-extended', ...perHart((h) => [ph.intc(h), IRQ_M_EXT, ph.intc(h), IRQ_S_EXT])),
        prop.empty('interrupt-controller'),
        prop.strings('compatible', 'sifive,plic-1.0.0', 'riscv,plic0'),
        prop.u32('#address-cells', 0),
        prop.u32('#interrupt-cells', 1),
      ]),
      fdtNode(`serial@${hex(VIRT_MAP.uart0.base)}`, [
        prop.u32('interrupts', VIRT_IRQ.uart0),
        prop.u32('interrupt-parent', ph.plic),
        prop.u32('clock-frequency', VIRT_UART_CLOCK_FREQUENCY),
        reg(VIRT_MAP.uart0),
        prop.strings('compatible', 'ns16550a'),
      ]),
      fdtNode(`test@${hex(VIRT_MAP.test.base)}`, [
        prop.u32('phandle', ph.test),
        reg(VIRT_MAP.test),
        prop.strings('compatible', 'sifive,test1', 'sifive,test0', 'syscon'),
      ]),
      pcieHostNode(ram, ph.plic),
      // QEMU writes the transports last to first, so that a tree walk finds transport 0 first.
      ...Array.from({ length: VIRT_VIRTIO_COUNT }, (_, i) => VIRT_VIRTIO_COUNT - 1 - i).map((n) =>
        fdtNode(`virtio_mmio@${hex(virtioMmioRegion(n).base)}`, [
          prop.u32('interrupts', VIRT_IRQ.virtio0 + n),
          prop.u32('interrupt-parent', ph.plic),
          reg(virtioMmioRegion(n)),
          prop.strings('compatible', 'virtio,mmio'),
        ]),
      ),
    ],
  );

  const syscon = (name: string, compatible: string, value: number): FdtNode =>
    fdtNode(name, [
      prop.u32('value', value),
      prop.u32('offset', 0),
      prop.u32('regmap', ph.test),
      prop.strings('compatible', compatible),
    ]);

  const chosenProperties = [prop.strings('stdout-path', options.stdoutPath ?? VIRT_UART_PATH)];
  if (options.bootargs !== undefined) chosenProperties.push(prop.strings('bootargs', options.bootargs));

  const children: FdtNode[] = [
    fdtNode('chosen', chosenProperties),
    syscon('poweroff', 'syscon-poweroff', FINISHER_PASS),
    syscon('reboot', 'syscon-reboot', FINISHER_RESET),
    fdtNode(`memory@${hex(ram.base)}`, [prop.strings('device_type', 'memory'), reg(ram)]),
    cpus,
    soc,
  ];
  const reserved = options.reserved ?? [];
  if (reserved.length > 0) children.push(reservedMemory(reserved, ram));

  const root = fdtNode(
    '',
    [
      prop.u32('#address-cells', 2),
      prop.u32('#size-cells', 2),
      prop.strings('compatible', 'riscv-virtio'),
      prop.strings('model', 'riscv-virtio,qemu'),
    ],
    children,
  );
  const stdoutPath = options.stdoutPath ?? VIRT_UART_PATH;
  const stdoutNode = stdoutPath.split(':')[0]!;
  if (stdoutNode.startsWith('/') && findNode(root, stdoutNode) === undefined) {
    throw new RangeError(`stdoutPath ${JSON.stringify(stdoutPath)} names no node of the tree`);
  }
  return root;
}

/** PCI address-space codes of a `ranges` entry's phys.hi cell (PCI bus binding to Open Firmware, 2.2.1.1). */
const PCI_SPACE_IO = 0x0100_0000;
const PCI_SPACE_MEM32 = 0x0200_0000;
const PCI_SPACE_MEM64 = 0x0300_0000;
/** Slots and pins the host bridge's interrupt-map covers (QEMU: GPEX_NUM_IRQS = 4, swizzled). */
const PCI_SLOTS_MAPPED = 4;
const PCI_PINS = 4;

/**
 * The PCIe host bridge as QEMU 7.2 describes it (create_fdt_pcie): ECAM `reg`, the PIO, 32-bit and
 * 64-bit MMIO windows in `ranges` (PCI address, CPU address, size), and INTx of slots 0..3 routed to
 * PLIC sources 0x20..0x23 with the standard swizzle (slot + pin - 1) mod 4.
 */
function pcieHostNode(ram: Region, plic: number): FdtNode {
  const hi = (n: number): number => Math.floor(n / 2 ** 32);
  const lo = (n: number): number => n % 2 ** 32;
  const range = (space: number, pciAddress: number, region: Region): number[] => [
    space, hi(pciAddress), lo(pciAddress), hi(region.base), lo(region.base), hi(regionSize(region)), lo(regionSize(region)),
  ];
  const high = pcieHighMmioRegion(ram);
  const interruptMap = Array.from({ length: PCI_SLOTS_MAPPED }, (_, slot) =>
    Array.from({ length: PCI_PINS }, (_, p) => [slot << 11, 0, 0, p + 1, plic, VIRT_IRQ.pcieIntA + ((slot + p) % PCI_PINS)]).flat(),
  ).flat();
  return fdtNode(`pci@${VIRT_MAP.pcieEcam.base.toString(16)}`, [
    prop.u32('interrupt-map-mask', 0x1800, 0, 0, 7),
    prop.u32('interrupt-map', ...interruptMap),
    prop.u32(
      'ranges',
      ...range(PCI_SPACE_IO, 0, VIRT_MAP.pciePio),
      ...range(PCI_SPACE_MEM32, VIRT_MAP.pcieMmio.base, VIRT_MAP.pcieMmio),
      ...range(PCI_SPACE_MEM64, high.base, high),
    ),
    prop.u64('reg', VIRT_MAP.pcieEcam.base, regionSize(VIRT_MAP.pcieEcam)),
    prop.empty('dma-coherent'),
    prop.u32('bus-range', 0, 0xff),
    prop.u32('linux,pci-domain', 0),
    prop.strings('device_type', 'pci'),
    prop.strings('compatible', 'pci-host-ecam-generic'),
    prop.u32('#size-cells', 2),
    prop.u32('#interrupt-cells', 1),
    prop.u32('#address-cells', 3),
  ]);
}

function reservedMemory(reserved: readonly ReservedRange[], ram: Region): FdtNode {
  const sorted = [...reserved].sort((a, b) => a.base - b.base);
  sorted.forEach((r, i) => {
    const where = `reserved range ${r.name} [0x${r.base.toString(16)}, +0x${r.size.toString(16)})`;
    if (!Number.isSafeInteger(r.base) || !Number.isSafeInteger(r.size) || r.size <= 0) throw new RangeError(`${where}: base and size must be integers, size > 0`);
    if (r.base < ram.base || r.base + r.size > ram.end) throw new RangeError(`${where}: not inside RAM [0x${ram.base.toString(16)}, 0x${ram.end.toString(16)})`);
    const previous = sorted[i - 1];
    if (previous !== undefined && previous.base + previous.size > r.base) throw new RangeError(`${where}: overlaps ${previous.name}`);
    const problem = nodeNameProblem(`${r.name}@${r.base.toString(16)}`);
    if (problem !== null || r.name.includes('@')) throw new RangeError(`${where}: ${problem ?? 'name must not contain @'}`);
  });
  return fdtNode(
    'reserved-memory',
    [prop.u32('#address-cells', 2), prop.u32('#size-cells', 2), prop.empty('ranges')],
    sorted.map((r) => fdtNode(`${r.name}@${r.base.toString(16)}`, [prop.empty('no-map'), prop.u64('reg', r.base, r.size)])),
  );
}

/** The blob for `options` (see virtDeviceTree). */
export function buildVirtDtb(options: VirtDtbOptions): Uint8Array {
  return writeFdt({ root: virtDeviceTree(options), bootCpuidPhys: options.bootHart ?? 0 });
}
