/**
 * The committed hypervisor image against the model's platform: its linker symbols make a valid
 * image layout, and the things BOOT-EARLY and the KMEM rules rely on sit where the contract says.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseElf } from '../../emulator/elf.js';
import { expectedAddressSpace, IMAGE_SYMBOLS, imageEnd, imageLayoutFromSymbols, KERNEL_GIGABYTE, VIRT_RAM_BASE, virtPlatform } from '../../model/index.js';

const path = new URL('../../hypervisor/build/hypervisor.elf', import.meta.url);
const present = existsSync(path);

describe.skipIf(!present)('hypervisor/build/hypervisor.elf (skipped when the image is absent)', () => {
  const elf = present ? parseElf(readFileSync(path), 'hypervisor.elf') : undefined;
  const symbols = Object.fromEntries((elf?.symbols ?? []).map((s) => [s.name, s.value]));
  const image = imageLayoutFromSymbols(symbols, VIRT_RAM_BASE);

  it('defines every section symbol, and they make a valid platform', () => {
    for (const name of IMAGE_SYMBOLS) expect(symbols[name], name).toBeDefined();
    const platform = virtPlatform({ image });
    expect(imageEnd(platform) - VIRT_RAM_BASE).toBe(symbols['_end']! - KERNEL_GIGABYTE.start);
    expect(expectedAddressSpace(platform, 0).regions.map((r) => r.name)).toContain('data+bss');
  });

  it('puts the early root table at a page-aligned address in .bss (BOOT-EARLY)', () => {
    const root = symbols['early_pagetable']! - KERNEL_GIGABYTE.start + VIRT_RAM_BASE;
    expect(root % 0x1000n).toBe(0n);
    expect(root >= image.bss.start && root < image.bss.end).toBe(true);
  });

  it('defines the allocator symbols the property suite reads, in .data or .bss', () => {
    for (const name of ['kmem_freelist', 'kmem_nfree', 'kmem_lock', 'kmem_frame_state']) {
      const pa = symbols[name]! - KERNEL_GIGABYTE.start + VIRT_RAM_BASE;
      expect(pa >= image.data.start && pa < image.bss.end, name).toBe(true);
    }
    for (const name of ['kalloc', 'kfree']) {
      const pa = symbols[name]! - KERNEL_GIGABYTE.start + VIRT_RAM_BASE;
      expect(pa >= image.text.start && pa < image.text.end, name).toBe(true);
    }
  });
});
