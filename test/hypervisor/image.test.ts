/**
 * The boot contract of the committed hypervisor image (hypervisor/README.md, SPEC.md
 * "Addresses"), read from the ELF file itself, and the consistency of the seeded-bug catalogue.
 * Needs no RISC-V tools.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULE_IDS } from '../../model/index.js';
import { readElf, symbol } from './elf.js';
import { imagePath, mutantImagePath, mutantNames, mutantsDir } from './paths.js';

const VAS_KERNEL = 0xffff_ffc0_0000_0000n;
const LOAD_BASE = 0x8000_0000n; // QEMU virt RAM base
const PAGE = 0x1000n;
const image = readElf(imagePath);
const sym = (name: string) => symbol(image, name, imagePath);

describe('hypervisor image', () => {
  it('is a RISC-V image entered at the physical address of _entry, 0x8020_0000', () => {
    // readElf accepted it: ELF64, little-endian, e_machine RISC-V, an executable with PT_LOAD segments.
    const header = readFileSync(imagePath);
    expect(header.readUInt16LE(18)).toBe(243); // e_machine = EM_RISCV
    expect(image.entry).toBe(0x8020_0000n);
    expect(sym('_entry') - VAS_KERNEL + LOAD_BASE).toBe(image.entry);
  });

  it('loads every segment at va - VAS_KERNEL + 0x8000_0000 (linked at VAS_KERNEL + 2 MiB)', () => {
    const loads = image.segments; // the PT_LOAD segments
    expect(loads.length).toBeGreaterThan(0);
    for (const s of loads) expect(s.paddr).toBe(s.vaddr - VAS_KERNEL + LOAD_BASE);
    expect(loads[0]!.vaddr).toBe(VAS_KERNEL + 0x20_0000n);
  });

  it('has page-aligned, ordered section bounds with _end the page-rounded end of .bss', () => {
    const names = ['_text_start', '_text_end', '_rodata_start', '_rodata_end', '_data_start', '_data_end', '_bss_start', '_bss_end', '_end'];
    const values = names.map(sym);
    for (const [i, v] of values.entries()) expect(v % PAGE, names[i]).toBe(0n);
    for (let i = 1; i < values.length; i++) expect(values[i]!, `${names[i]} >= ${names[i - 1]}`).toBeGreaterThanOrEqual(values[i - 1]!);
    expect(sym('_text_start')).toBe(VAS_KERNEL + 0x20_0000n);
    const bss = image.sections.find((s) => s.name === '.bss')!;
    expect(sym('_end')).toBe((bss.addr + bss.size + PAGE - 1n) & ~(PAGE - 1n));
  });

  it('keeps the symbols the property suite reads, in .data/.bss', () => {
    const dataStart = sym('_data_start');
    const end = sym('_end');
    for (const name of ['kmem_freelist', 'kmem_nfree', 'kmem_lock', 'kmem_frame_state', 'early_pagetable', 'hart_root_pa', 'mailboxes', 'ram_base', 'ram_size']) {
      const v = sym(name);
      expect(v >= dataStart && v < end, `${name} at 0x${v.toString(16)} is in .data/.bss`).toBe(true);
    }
    expect(image.symbol('kmem_lock')!.size).toBe(4n);
    expect(image.symbol('kmem_freelist')!.size).toBe(8n);
    expect(sym('early_pagetable') % PAGE).toBe(0n);
    for (const name of ['kalloc', 'kfree', 'kmem_init', 'kvm_build', 'kvm_install', 'trap_entry', '_secondary_entry', 'probe_ret']) {
      const v = sym(name);
      expect(v >= sym('_text_start') && v < sym('_text_end'), `${name} is in .text`).toBe(true);
    }
  });

  it('names no absolute build path', () => {
    const text = readFileSync(imagePath, 'latin1');
    expect(text).not.toMatch(/\/(work|tmp|home|root)\//);
  });
});

describe('seeded bugs (hypervisor/mutants)', () => {
  const names = mutantNames();
  const table = new Map<string, { rule: string }>();
  for (const line of readFileSync(join(mutantsDir, 'README.md'), 'utf8').split('\n')) {
    const m = /^\| `([a-z0-9-]+)` \| ([A-Z-]+) \|/.exec(line);
    if (m) table.set(m[1]!, { rule: m[2]! });
  }

  it('has at least twelve seeded bugs', () => {
    expect(names.length).toBeGreaterThanOrEqual(12);
    for (const required of [
      'cpu-struct-global', 'nonleaf-global', 'cpu-info-below-stack', 'no-guard-page', 'double-free-undetected',
      'kfree-no-lock', 'linear-map-short', 'device-executable', 'text-writable', 'identity-left', 'no-sfence', 'dtb-on-freelist',
    ]) expect(names).toContain(required);
  });

  it.each(names)('%s: listed with a known rule that matches its patch header, and built', (name) => {
    const row = table.get(name);
    expect(row, `mutants/README.md lists ${name}`).toBeDefined();
    expect(RULE_IDS as readonly string[]).toContain(row!.rule);
    const patch = readFileSync(join(mutantsDir, `${name}.patch`), 'utf8');
    expect(patch).toContain(`Mutant: ${name}\n`);
    expect(patch).toContain(`Breaks: ${row!.rule}\n`);
    const files = [...patch.matchAll(/^\+\+\+ b\/(\S+)/gm)].map((m) => m[1]);
    expect(files.length, 'a one-place bug touches one file').toBe(1);
    expect(existsSync(mutantImagePath(name))).toBe(true);
    expect(readFileSync(mutantImagePath(name)).equals(readFileSync(imagePath))).toBe(false);
  });

  it('lists no mutant without a patch', () => {
    for (const listed of table.keys()) expect(names).toContain(listed);
  });
});
