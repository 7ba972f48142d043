import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FdtError,
  fdtNode,
  findNode,
  findProperty,
  prop,
  propertyStrings,
  propertyU32s,
  propertyU64s,
  readFdt,
  walkNodes,
  writeFdt,
  type FdtNode,
  type FdtProperty,
} from '../../emulator/board/fdt.js';
import { buildVirtDtb, virtDeviceTree, VIRT_UART_PATH } from '../../emulator/board/virt-dtb.js';

const MiB = 2 ** 20;

function u32At(blob: Uint8Array, offset: number): number {
  return new DataView(blob.buffer, blob.byteOffset).getUint32(offset);
}

/** The tree of `blob` as path → node. */
function nodesByPath(root: FdtNode): Map<string, FdtNode> {
  return new Map(walkNodes(root));
}

function requiredNode(root: FdtNode, path: string): FdtNode {
  const node = findNode(root, path);
  if (node === undefined) throw new Error(`no node ${path}`);
  return node;
}

function requiredProperty(root: FdtNode, path: string, name: string): FdtProperty {
  const property = findProperty(requiredNode(root, path), name);
  if (property === undefined) throw new Error(`no property ${path}:${name}`);
  return property;
}

// ---------------------------------------------------------------- the format

describe('FDT writer', () => {
  const tree = fdtNode('', [prop.u32('#address-cells', 2), prop.strings('compatible', 'a', 'bc')], [
    fdtNode('child@10', [prop.empty('flag'), prop.u32('#address-cells', 1), prop.u64('reg', 0x1_0000_0000n, 5)]),
  ]);

  it('writes a version 17 header (last compatible 16) with aligned blocks that add up to totalsize', () => {
    const blob = writeFdt({ root: tree, reservations: [{ address: 0x8000_0000n, size: 0x1000n }], bootCpuidPhys: 3 });
    const [magic, totalSize, offStruct, offStrings, offRsvmap, version, lastComp, bootCpu, sizeStrings, sizeStruct] = Array.from(
      { length: 10 },
      (_, i) => u32At(blob, 4 * i),
    );
    expect(magic).toBe(0xd00dfeed);
    expect(totalSize).toBe(blob.length);
    expect([version, lastComp, bootCpu]).toEqual([17, 16, 3]);
    expect(offRsvmap).toBe(40);
    expect(offRsvmap! % 8).toBe(0);
    expect(offStruct).toBe(40 + 2 * 16);
    expect(offStruct! % 4).toBe(0);
    expect(offStrings).toBe(offStruct! + sizeStruct!);
    expect(offStrings! + sizeStrings!).toBe(totalSize);
    // each property name is stored once, NUL-terminated, in first-use order
    const strings = new TextDecoder().decode(blob.subarray(offStrings!, offStrings! + sizeStrings!));
    expect(strings).toBe('#address-cells\0compatible\0flag\0reg\0');
    expect(u32At(blob, offStruct!)).toBe(1); // FDT_BEGIN_NODE
    expect(u32At(blob, offStruct! + sizeStruct! - 4)).toBe(9); // FDT_END
  });

  it('round-trips through the reader, including reservations and the boot CPU', () => {
    const blob = writeFdt({ root: tree, reservations: [{ address: 0x8000_0000n, size: 0x1000n }], bootCpuidPhys: 3 });
    const fdt = readFdt(blob);
    expect(fdt.root).toEqual(tree);
    expect(fdt.reservations).toEqual([{ address: 0x8000_0000n, size: 0x1000n }]);
    expect(fdt.bootCpuidPhys).toBe(3);
    expect(propertyU64s(requiredProperty(fdt.root, '/child@10', 'reg'))).toEqual([0x1_0000_0000n, 5n]);
    expect(propertyStrings(requiredProperty(fdt.root, '/', 'compatible'))).toEqual(['a', 'bc']);
  });

  it('rejects bad names and duplicates, naming the path', () => {
    expect(() => writeFdt({ root: fdtNode('', [], [fdtNode('bad name', [])]) })).toThrow(/\/bad name: node name "bad name"/);
    expect(() => writeFdt({ root: fdtNode('', [], [fdtNode('a', []), fdtNode('a', [])]) })).toThrow(/\/a: duplicate node/);
    expect(() => writeFdt({ root: fdtNode('', [prop.empty('x'), prop.empty('x')]) })).toThrow(/\/: duplicate property x/);
    expect(() => writeFdt({ root: fdtNode('', [], [fdtNode('n', [prop.empty('a'.repeat(32))])]) })).toThrow(/\/n: property name/);
    expect(() => writeFdt({ root: fdtNode('root', []) })).toThrow(/root node must be named ""/);
    expect(() => prop.u32('x', 2 ** 32)).toThrow(/cell 0 = 4294967296/);
    expect(() => prop.strings('x', 'a\0b')).toThrow(/contains NUL/);
  });
});

describe('FDT reader errors name the offset and the problem', () => {
  const good = writeFdt({ root: fdtNode('', [prop.u32('a', 1)], [fdtNode('n', [prop.u32('b', 2)])]) });
  const offStruct = u32At(good, 8);
  const patched = (offset: number, value: number): Uint8Array => {
    const copy = good.slice();
    new DataView(copy.buffer).setUint32(offset, value);
    return copy;
  };
  const error = (blob: Uint8Array): FdtError => {
    try {
      readFdt(blob);
    } catch (e) {
      if (e instanceof FdtError) return e;
      throw e;
    }
    throw new Error('readFdt accepted the blob');
  };

  it('bad magic', () => {
    expect(error(patched(0, 0x1234)).message).toBe('FDT byte 0x0: magic is 0x1234, expected 0xd00dfeed');
  });
  it('short blob and totalsize past the end', () => {
    expect(error(good.subarray(0, 20)).problem).toMatch(/shorter than the 40-byte header/);
    expect(error(good.subarray(0, good.length - 1)).offset).toBe(4);
  });
  it('versions it cannot read', () => {
    expect(error(patched(20, 15)).problem).toMatch(/version 15 is older than 16/);
    expect(error(patched(24, 18)).problem).toMatch(/last_comp_version 18/);
  });
  it('an unknown token, at its offset', () => {
    // first token after the root's BEGIN_NODE and empty name (4 + 4 bytes)
    const e = error(patched(offStruct + 8, 7));
    expect([e.offset, e.problem]).toEqual([offStruct + 8, 'unknown token 0x7']);
  });
  it('a property name offset outside the strings block', () => {
    expect(error(patched(offStruct + 16, 999)).problem).toMatch(/property name offset 999 is outside/);
  });
  it('a property after a child node', () => {
    // Built by hand: root { n { }; p = <0>; }: BEGIN "" / BEGIN "n" / END_NODE / PROP len 4 nameoff 0 value 0 / END_NODE / END.
    const tokens = [1, 0, 1, 0x6e000000, 2, 3, 4, 0, 0, 2, 9];
    const struct = new Uint8Array(tokens.length * 4);
    tokens.forEach((t, i) => new DataView(struct.buffer).setUint32(4 * i, t));
    const strings = new TextEncoder().encode('p\0');
    const header = new Uint8Array(40 + 16);
    const total = header.length + struct.length + strings.length;
    const view = new DataView(header.buffer);
    [0xd00dfeed, total, 56, 56 + struct.length, 40, 17, 16, 0, strings.length, struct.length].forEach((v, i) => view.setUint32(4 * i, v));
    const handmade = new Uint8Array(total);
    handmade.set(header);
    handmade.set(struct, 56);
    handmade.set(strings, 56 + struct.length);
    const e = error(handmade);
    expect([e.offset, e.problem]).toEqual([56 + 20, 'property p follows a child node']);
  });
  it('a missing FDT_END and an unbalanced node', () => {
    const sizeStruct = u32At(good, 36);
    expect(error(patched(offStruct + sizeStruct - 4, 4)).problem).toMatch(/runs past the end of the structure block/);
    expect(error(patched(offStruct + sizeStruct - 8, 9)).problem).toMatch(/FDT_END inside node ""/);
  });

  it('blocks outside totalsize or misaligned', () => {
    expect(error(patched(12, good.length)).problem).toMatch(/^strings block \[0x[0-9a-f]+, \+0x4\) lies outside/);
    expect(error(patched(16, 44)).problem).toBe('memory reservation block offset 0x2c is not 8-byte aligned');
  });
  it('a root with a name, a token after the root, bytes after FDT_END', () => {
    // Structure of `good`: BEGIN "" | PROP a | BEGIN "n" | PROP b | END_NODE | END_NODE | END (offsets 0..56).
    expect(error(patched(offStruct + 4, 0x7200_0000)).problem).toBe('root node is named "r", expected ""');
    expect(error(patched(offStruct + 56, 1)).problem).toBe('token 0x1 after the root node, expected FDT_END');
    const sizeStruct = u32At(good, 36);
    expect(error(patched(36, sizeStruct + 4)).problem).toBe('4 bytes follow FDT_END inside the structure block');
    expect(error(patched(offStruct + 28, 0x0100_0000)).problem).toMatch(/node name "\\u0001" is not node-name/);
  });
  it('duplicate nodes and properties', () => {
    const twins = writeFdt({ root: fdtNode('', [prop.empty('a'), prop.empty('b')], [fdtNode('n', []), fdtNode('m', [])]) });
    const twinsStruct = u32At(twins, 8);
    const patch = (offset: number, value: number): Uint8Array => {
      const copy = twins.slice();
      new DataView(copy.buffer).setUint32(offset, value);
      return copy;
    };
    // BEGIN "" (0, 4) | PROP a (8: len 12, nameoff 16) | PROP b (20: len 24, nameoff 28) | BEGIN "n" (32, 36) | END (40)
    // | BEGIN "m" (44, 48) | END | END | END
    expect(error(patch(twinsStruct + 28, 0)).problem).toBe('duplicate property a');
    expect(error(patch(twinsStruct + 48, 0x6e00_0000))).toMatchObject({ offset: twinsStruct + 44, problem: 'duplicate node n' });
  });
  it('accepts version 16, which has no size_dt_struct', () => {
    expect(readFdt(patched(20, 16)).root).toEqual(readFdt(good).root);
  });

  it('any corruption of a valid blob yields a tree or an FdtError, never another exception', () => {
    const blob = buildVirtDtb({ harts: 2, ramSize: 64 * MiB });
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(blob.length - 1), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
        fc.nat(blob.length),
        (flips, cut) => {
          const corrupt = blob.slice(0, Math.max(cut, blob.length - 64));
          for (const { at, byte } of flips) if (at < corrupt.length) corrupt[at] = byte;
          try {
            readFdt(corrupt);
          } catch (e) {
            expect(e).toBeInstanceOf(FdtError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('FDT writer → reader round trip (generated trees)', () => {
  const nameChars = fc.constantFrom(...'abcxyz0189,._+-');
  const nodeName = fc
    .tuple(fc.string({ unit: nameChars, minLength: 1, maxLength: 31 }), fc.option(fc.string({ unit: fc.constantFrom(...'0123456789abcdef,'), minLength: 1, maxLength: 8 }), { nil: undefined }))
    .map(([base, unit]) => (unit === undefined ? base : `${base}@${unit}`));
  const propertyName = fc.string({ unit: fc.constantFrom(...'abz019,._+?#-'), minLength: 1, maxLength: 31 });
  const property = fc.record({ name: propertyName, value: fc.uint8Array({ maxLength: 24 }) });
  const uniqueBy = <T,>(arb: fc.Arbitrary<T>, key: (t: T) => string, maxLength: number) =>
    fc.uniqueArray(arb, { selector: key, maxLength });
  const treeOfDepth = (depth: number): fc.Arbitrary<FdtNode> =>
    fc.record({
      name: nodeName,
      properties: uniqueBy(property, (p) => p.name, 5),
      children: depth === 0 ? fc.constant([]) : uniqueBy(treeOfDepth(depth - 1), (n) => n.name, 3),
    });
  const tree = treeOfDepth(3);
  const rootTree = tree.map((t) => ({ ...t, name: '' }));
  const reservations = fc.array(fc.record({ address: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), size: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }), { maxLength: 3 });

  it('reads back exactly the tree, reservations and boot CPU that were written, and rewrites the same bytes', () => {
    fc.assert(
      fc.property(rootTree, reservations, fc.nat(0xffff_ffff), (root, rsv, boot) => {
        const blob = writeFdt({ root, reservations: rsv, bootCpuidPhys: boot });
        const fdt = readFdt(blob);
        expect(fdt.root).toEqual(root);
        expect(fdt.reservations).toEqual(rsv);
        expect(fdt.bootCpuidPhys).toBe(boot);
        expect(writeFdt(fdt)).toEqual(blob);
      }),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------- the virt tree

describe('virt device tree', () => {
  for (const harts of [1, 4, 8]) {
    it(`has QEMU's nodes, compatibles, registers and interrupt wiring for ${harts} hart(s)`, () => {
      const { root } = readFdt(buildVirtDtb({ harts, ramSize: 128 * MiB }));
      const strs = (path: string, name: string): string[] => propertyStrings(requiredProperty(root, path, name));
      const cells = (path: string, name: string): number[] => propertyU32s(requiredProperty(root, path, name));
      const u64s = (path: string, name: string): bigint[] => propertyU64s(requiredProperty(root, path, name));
      const phandleOf = (path: string): number => cells(path, 'phandle')[0]!;

      expect(strs('/', 'compatible')).toEqual(['riscv-virtio']);
      expect(strs('/chosen', 'stdout-path')).toEqual([VIRT_UART_PATH]);
      expect(findProperty(requiredNode(root, '/chosen'), 'bootargs')).toBeUndefined();
      expect(u64s('/memory@80000000', 'reg')).toEqual([0x8000_0000n, 128n * BigInt(MiB)]);
      expect(strs('/memory@80000000', 'device_type')).toEqual(['memory']);
      expect(cells('/cpus', 'timebase-frequency')).toEqual([10_000_000]);
      expect(requiredNode(root, '/cpus').children.filter((c) => c.name.startsWith('cpu@')).length).toBe(harts);
      const intcs: number[] = [];
      for (let h = 0; h < harts; h++) {
        const cpu = `/cpus/cpu@${h.toString(16)}`;
        expect(cells(cpu, 'reg')).toEqual([h]);
        expect(strs(cpu, 'riscv,isa')).toEqual(['rv64imach_zicsr_zifencei']);
        expect(strs(cpu, 'mmu-type')).toEqual(['riscv,sv39']);
        expect(strs(cpu, 'status')).toEqual(['okay']);
        expect(strs(cpu, 'device_type')).toEqual(['cpu']);
        expect(strs(`${cpu}/interrupt-controller`, 'compatible')).toEqual(['riscv,cpu-intc']);
        expect(cells(`/cpus/cpu-map/cluster0/core${h}`, 'cpu')).toEqual([phandleOf(cpu)]);
        intcs.push(phandleOf(`${cpu}/interrupt-controller`));
      }
      expect(strs('/soc/clint@2000000', 'compatible')).toEqual(['sifive,clint0', 'riscv,clint0']);
      expect(u64s('/soc/clint@2000000', 'reg')).toEqual([0x200_0000n, 0x1_0000n]);
      expect(cells('/soc/clint@2000000', 'interrupts-extended')).toEqual(intcs.flatMap((p) => [p, 3, p, 7]));
      expect(strs('/soc/plic@c000000', 'compatible')).toEqual(['sifive,plic-1.0.0', 'riscv,plic0']);
      expect(u64s('/soc/plic@c000000', 'reg')).toEqual([0xc00_0000n, 0x60_0000n]);
      expect(cells('/soc/plic@c000000', 'interrupts-extended')).toEqual(intcs.flatMap((p) => [p, 11, p, 9]));
      expect(cells('/soc/plic@c000000', 'riscv,ndev')).toEqual([96]);
      expect(strs('/soc/serial@10000000', 'compatible')).toEqual(['ns16550a']);
      expect(u64s('/soc/serial@10000000', 'reg')).toEqual([0x1000_0000n, 0x100n]);
      expect(cells('/soc/serial@10000000', 'interrupts')).toEqual([10]);
      expect(cells('/soc/serial@10000000', 'interrupt-parent')).toEqual([phandleOf('/soc/plic@c000000')]);
      expect(strs('/soc/test@100000', 'compatible')).toEqual(['sifive,test1', 'sifive,test0', 'syscon']);
      expect(cells('/poweroff', 'regmap')).toEqual([phandleOf('/soc/test@100000')]);
      expect(cells('/poweroff', 'value')).toEqual([0x5555]);
      expect(cells('/reboot', 'value')).toEqual([0x7777]);
      for (let n = 0; n < 8; n++) {
        const virtio = `/soc/virtio_mmio@${(0x1000_1000 + n * 0x1000).toString(16)}`;
        expect(strs(virtio, 'compatible')).toEqual(['virtio,mmio']);
        expect(u64s(virtio, 'reg')).toEqual([BigInt(0x1000_1000 + n * 0x1000), 0x1000n]);
        expect(cells(virtio, 'interrupts')).toEqual([1 + n]);
        expect(cells(virtio, 'interrupt-parent')).toEqual([phandleOf('/soc/plic@c000000')]);
      }
      const pci = '/soc/pci@30000000';
      expect(strs(pci, 'compatible')).toEqual(['pci-host-ecam-generic']);
      expect(strs(pci, 'device_type')).toEqual(['pci']);
      expect(u64s(pci, 'reg')).toEqual([0x3000_0000n, 0x1000_0000n]);
      expect(cells(pci, 'bus-range')).toEqual([0, 0xff]);
      expect(cells(pci, 'ranges')).toEqual([
        0x100_0000, 0, 0, 0, 0x300_0000, 0, 0x1_0000,
        0x200_0000, 0, 0x4000_0000, 0, 0x4000_0000, 0, 0x4000_0000,
        0x300_0000, 4, 0, 4, 0, 4, 0,
      ]);
      const plic = phandleOf('/soc/plic@c000000');
      const intMap = cells(pci, 'interrupt-map');
      expect(intMap.length).toBe(16 * 6);
      expect(intMap.slice(0, 12)).toEqual([0, 0, 0, 1, plic, 0x20, 0, 0, 0, 2, plic, 0x21]);
      expect(intMap.slice(6 * 4, 6 * 5)).toEqual([0x800, 0, 0, 1, plic, 0x21]); // slot 1, INTA: swizzled
      expect(intMap.slice(-6)).toEqual([0x1800, 0, 0, 4, plic, 0x22]);
      const phandles = [...walkNodes(root)].flatMap(([, n]) => (findProperty(n, 'phandle') ? propertyU32s(findProperty(n, 'phandle')!) : []));
      expect(new Set(phandles).size).toBe(phandles.length);
    });
  }

  it('writes bootargs, a custom stdout-path, the boot hart and /reserved-memory when given', () => {
    const fdt = readFdt(
      buildVirtDtb({
        harts: 2,
        ramSize: 64 * MiB,
        bootargs: 'console=ttyS0 earlycon',
        stdoutPath: '/soc/serial@10000000:115200n8',
        bootHart: 1,
        reserved: [
          { base: 0x8002_0000, size: 0x1000, name: 'second' },
          { base: 0x8000_0000, size: 0x2_0000, name: 'mmode_resv0' },
        ],
      }),
    );
    expect(fdt.bootCpuidPhys).toBe(1);
    expect(propertyStrings(requiredProperty(fdt.root, '/chosen', 'bootargs'))).toEqual(['console=ttyS0 earlycon']);
    expect(propertyStrings(requiredProperty(fdt.root, '/chosen', 'stdout-path'))).toEqual(['/soc/serial@10000000:115200n8']);
    const reserved = requiredNode(fdt.root, '/reserved-memory');
    expect(reserved.children.map((c) => c.name)).toEqual(['mmode_resv0@80000000', 'second@80020000']);
    expect(propertyU64s(requiredProperty(fdt.root, '/reserved-memory/mmode_resv0@80000000', 'reg'))).toEqual([0x8000_0000n, 0x2_0000n]);
    expect(findProperty(reserved.children[0]!, 'no-map')?.value.length).toBe(0);
    expect(findProperty(reserved, 'ranges')).toBeDefined();
  });

  it('rejects a bad machine, naming the option and value', () => {
    const base = { harts: 1, ramSize: 64 * MiB };
    expect(() => virtDeviceTree({ ...base, harts: 9 })).toThrow(/harts must be 1..8, got 9/);
    expect(() => virtDeviceTree({ ...base, harts: 0 })).toThrow(/got 0/);
    expect(() => virtDeviceTree({ ...base, ramSize: 8 * MiB })).toThrow(/RAM size 8388608/);
    expect(() => virtDeviceTree({ ...base, bootHart: 1 })).toThrow(/bootHart must be 0..0, got 1/);
    expect(() => virtDeviceTree({ ...base, stdoutPath: '/soc/serial@0' })).toThrow(/names no node/);
    expect(() => virtDeviceTree({ ...base, reserved: [{ base: 0x7fff_f000, size: 0x2000, name: 'x' }] })).toThrow(/not inside RAM/);
    expect(() =>
      virtDeviceTree({ ...base, reserved: [{ base: 0x8000_0000, size: 0x2000, name: 'a' }, { base: 0x8000_1000, size: 0x1000, name: 'b' }] }),
    ).toThrow(/b .*overlaps a/);
    expect(() => virtDeviceTree({ ...base, reserved: [{ base: 0x8000_0000, size: 0, name: 'a' }] })).toThrow(/size > 0/);
    expect(() => virtDeviceTree({ ...base, reserved: [{ base: 0x8000_0000, size: 16, name: 'a b' }] })).toThrow(/node name/);
  });

  it('is deterministic: the same machine gives the same bytes', () => {
    const options = { harts: 3, ramSize: 96 * MiB, bootargs: 'x' };
    expect(buildVirtDtb(options)).toEqual(buildVirtDtb(options));
  });
});

// ---------------------------------------------------------------- cross-checks with dtc and QEMU

function installed(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

const hasDtc = installed('dtc', ['--version']);
const hasQemu = installed('qemu-system-riscv64', ['--version']);
if (!hasDtc) console.warn('fdt.test.ts: dtc is not installed; skipping the dtc cross-checks (apt-get install device-tree-compiler)');
if (!hasQemu) console.warn('fdt.test.ts: qemu-system-riscv64 is not installed; skipping the comparison with QEMU\'s own blob');

function withTempDir<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'hvspec-fdt-'));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[]): string {
  return runWithWarnings(command, args).stdout;
}

function runWithWarnings(command: string, args: string[]): { stdout: string; warnings: string[] } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 20_000 });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.error?.message ?? result.stderr}`);
  }
  return { stdout: result.stdout, warnings: result.stderr.split('\n').filter((l) => l.trim() !== '') };
}

/** The one dtc check QEMU's own blob fails too: cpu interrupt controllers have no #address-cells. */
const KNOWN_DTC_WARNING = /Warning \(interrupt_provider\): \/cpus\/cpu@[0-9a-f]+\/interrupt-controller: Missing #address-cells in interrupt provider$/;

/** dtc's DTS output as path → (property → value text). Properties without a value map to "". */
function parseDts(dts: string): Map<string, Map<string, string>> {
  const nodes = new Map<string, Map<string, string>>();
  const stack: string[] = [];
  const pathOf = (): string => (stack.length <= 1 ? '/' : `/${stack.slice(1).join('/')}`);
  for (const raw of dts.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('/dts-v1/')) continue;
    const open = /^(\S+) \{$/.exec(line);
    if (open) {
      stack.push(open[1] === '/' ? '' : open[1]!);
      nodes.set(pathOf(), new Map());
    } else if (line === '};') {
      stack.pop();
    } else {
      const property = /^([^\s=;]+)(?: = (.*))?;$/.exec(line);
      if (!property) throw new Error(`unparsed DTS line: ${line}`);
      nodes.get(pathOf())!.set(property[1]!, property[2] ?? '');
    }
  }
  return nodes;
}

describe.skipIf(!hasDtc)(`dtc cross-check${hasDtc ? '' : ' (SKIPPED: dtc not installed)'}`, () => {
  for (const harts of [1, 4, 8]) {
    it(`dtc decompiles the ${harts}-hart blob to the expected nodes, compatibles and reg values, and recompiles it to the same tree`, () => {
      withTempDir((dir) => {
        const dtbPath = join(dir, 'virt.dtb');
        const blob = buildVirtDtb({
          harts,
          ramSize: 256 * MiB,
          bootargs: 'console=ttyS0',
          reserved: [{ base: 0x8000_0000, size: 0x4_0000, name: 'mmode_resv0' }],
        });
        writeFileSync(dtbPath, blob);
        const decompiled = runWithWarnings('dtc', ['-I', 'dtb', '-O', 'dts', dtbPath]);
        expect(decompiled.warnings.filter((w) => !KNOWN_DTC_WARNING.test(w)), 'dtc warnings').toEqual([]);
        const dts = parseDts(decompiled.stdout);
        const expected = new Map<string, [string, string] | null>([
          ['/soc/clint@2000000', ['"sifive,clint0\\0riscv,clint0"', '<0x00 0x2000000 0x00 0x10000>']],
          ['/soc/plic@c000000', ['"sifive,plic-1.0.0\\0riscv,plic0"', '<0x00 0xc000000 0x00 0x600000>']],
          ['/soc/serial@10000000', ['"ns16550a"', '<0x00 0x10000000 0x00 0x100>']],
          ['/soc/test@100000', ['"sifive,test1\\0sifive,test0\\0syscon"', '<0x00 0x100000 0x00 0x1000>']],
          ['/memory@80000000', null],
          ['/chosen', null],
          ['/poweroff', null],
          ['/reboot', null],
        ]);
        for (const [path, want] of expected) {
          const node = dts.get(path);
          expect(node, path).toBeDefined();
          if (want !== null) expect([node!.get('compatible'), node!.get('reg')], path).toEqual(want);
        }
        expect(dts.get('/memory@80000000')!.get('reg')).toBe('<0x00 0x80000000 0x00 0x10000000>');
        expect(dts.get('/chosen')!.get('bootargs')).toBe('"console=ttyS0"');
        expect(dts.get('/reserved-memory/mmode_resv0@80000000')?.get('reg')).toBe('<0x00 0x80000000 0x00 0x40000>');
        expect(dts.get('/reserved-memory/mmode_resv0@80000000')?.get('no-map')).toBe('');
        expect(dts.get('/cpus')!.get('timebase-frequency')).toBe('<0x989680>');
        for (let h = 0; h < harts; h++) {
          const cpu = dts.get(`/cpus/cpu@${h.toString(16)}`);
          expect(cpu?.get('reg')).toBe(`<0x${h.toString(16).padStart(2, '0')}>`);
          expect(cpu?.get('riscv,isa')).toBe('"rv64imach_zicsr_zifencei"');
          expect(dts.get(`/cpus/cpu@${h.toString(16)}/interrupt-controller`)?.get('compatible')).toBe('"riscv,cpu-intc"');
        }
        expect([...dts.keys()].filter((p) => /^\/cpus\/cpu@[0-9a-f]+$/.test(p)).length).toBe(harts);
        // dtc as the writer: its dtb of our tree reads back as our tree.
        run('dtc', ['-I', 'dtb', '-O', 'dtb', '-o', join(dir, 'again.dtb'), dtbPath]);
        expect(readFdt(readFileSync(join(dir, 'again.dtb'))).root).toEqual(readFdt(blob).root);
      });
    });
  }
});

/** QEMU's nodes for devices this emulator does not model (documented in emulator/board/README.md). */
const DELIBERATELY_ABSENT = [/^\/pmu$/, /^\/fw-cfg@/, /^\/flash@/, /^\/platform-bus@/, /^\/soc\/rtc@/];
/** Properties that differ on purpose: our hart is RV64IMAC with Sv39; no host entropy in a deterministic run. */
const DIFFERENT_ON_PURPOSE = new Set(['/cpus/cpu@*:riscv,isa', '/cpus/cpu@*:mmu-type', '/chosen:rng-seed']);

/** Property values with phandles replaced by the paths they point to, so two blobs with different numbering compare. */
function normalisedProperties(root: FdtNode): Map<string, Map<string, string>> {
  const byPhandle = new Map<number, string>();
  for (const [path, node] of walkNodes(root)) {
    const p = findProperty(node, 'phandle');
    if (p) byPhandle.set(propertyU32s(p)[0]!, path);
  }
  const ref = (cell: number): string => byPhandle.get(cell) ?? `?${cell}`;
  const out = new Map<string, Map<string, string>>();
  for (const [path, node] of walkNodes(root)) {
    const props = new Map<string, string>();
    for (const p of node.properties) {
      if (p.name === 'phandle') continue;
      let text: string;
      if (['interrupt-parent', 'regmap', 'cpu'].includes(p.name)) text = propertyU32s(p).map(ref).join(' ');
      else if (p.name === 'interrupts-extended') text = propertyU32s(p).map((c, i) => (i % 2 === 0 ? ref(c) : String(c))).join(' ');
      // PCI interrupt-map entries: 3 address cells, 1 pin cell, the parent's phandle, 1 interrupt cell.
      else if (p.name === 'interrupt-map') text = propertyU32s(p).map((c, i) => (i % 6 === 4 ? ref(c) : String(c))).join(' ');
      else text = Buffer.from(p.value).toString('hex');
      props.set(p.name, text);
    }
    out.set(path, props);
  }
  return out;
}

describe.skipIf(!hasQemu || !hasDtc)(
  `QEMU 7.2 cross-check${hasQemu && hasDtc ? '' : ' (SKIPPED: qemu-system-riscv64 or dtc not installed)'}`,
  () => {
    // 15 GiB of RAM moves the 64-bit PCIe window from 0x4_0000_0000 to 0x8_0000_0000.
    for (const [harts, ramMiB] of [[1, 256], [4, 256], [8, 256], [2, 15 * 1024]] as const) {
      it(`matches QEMU's own ${harts}-hart, ${ramMiB} MiB blob node for node, except the devices we do not model`, () => {
        withTempDir((dir) => {
          const qemuPath = join(dir, 'qemu.dtb');
          const oursPath = join(dir, 'ours.dtb');
          spawnSync('qemu-system-riscv64', ['-machine', `virt,dumpdtb=${qemuPath}`, '-smp', String(harts), '-m', `${ramMiB}M`, '-nographic', '-bios', 'none'], {
            timeout: 20_000,
            stdio: 'ignore',
          });
          const qemuBlob = readFileSync(qemuPath);
          writeFileSync(oursPath, buildVirtDtb({ harts, ramSize: ramMiB * MiB }));

          // Node paths and compatible strings, as dtc decompiles them.
          const qemuDts = parseDts(run('dtc', ['-I', 'dtb', '-O', 'dts', qemuPath]));
          const oursDts = parseDts(run('dtc', ['-I', 'dtb', '-O', 'dts', oursPath]));
          const modelled = [...qemuDts.keys()].filter((p) => !DELIBERATELY_ABSENT.some((re) => re.test(p)));
          const absent = [...qemuDts.keys()].filter((p) => DELIBERATELY_ABSENT.some((re) => re.test(p)));
          expect(absent.length).toBeGreaterThan(0);
          expect([...oursDts.keys()].sort()).toEqual(modelled.sort());
          for (const path of modelled) expect(oursDts.get(path)!.get('compatible'), path).toBe(qemuDts.get(path)!.get('compatible'));

          // Every property, phandles resolved to paths, read with our own reader (which must parse QEMU's blob).
          const qemu = normalisedProperties(readFdt(qemuBlob).root);
          const ours = normalisedProperties(readFdt(readFileSync(oursPath)).root);
          for (const path of modelled) {
            const generic = path.replace(/cpu@[0-9a-f]+$/, 'cpu@*');
            const q = [...qemu.get(path)!].filter(([name]) => !DIFFERENT_ON_PURPOSE.has(`${generic}:${name}`));
            const o = [...ours.get(path)!].filter(([name]) => !DIFFERENT_ON_PURPOSE.has(`${generic}:${name}`));
            expect(new Map(o), path).toEqual(new Map(q));
          }
        });
      });
    }
  },
);
