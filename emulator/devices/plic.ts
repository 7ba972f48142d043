/**
 * PLIC (`sifive,plic-1.0.0`, `riscv,plic0`) with the SiFive register layout
 * QEMU 7.2's virt board uses (include/hw/riscv/virt.h VIRT_PLIC_*; RISC-V PLIC
 * spec 1.0.0 §3 "Memory Map", §4–§9).
 *
 * | offset                     | register                        | access                                 |
 * |----------------------------|---------------------------------|----------------------------------------|
 * | 0x00_0000 + 4*s            | priority of source s            | R/W, 0..7 (writes keep value mod 8)    |
 * | 0x00_1000 + 4*w            | pending bits 32w..32w+31        | R; writes ignored                      |
 * | 0x00_2000 + 0x80*c + 4*w   | enable bits of context c        | R/W                                    |
 * | 0x20_0000 + 0x1000*c       | priority threshold of context c | R/W, 0..7 (writes keep value mod 8)    |
 * | 0x20_0000 + 0x1000*c + 4   | claim (read) / complete (write) | R/W                                    |
 *
 * Context 2h is hart h's M-mode (drives mip.MEIP), context 2h+1 its S-mode
 * (drives mip.SEIP). Sources are numbered as QEMU numbers them: `sources`
 * counts source 0, which never interrupts, so sources 1..sources-1 exist.
 *
 * Gateways take level-triggered sources (PLIC spec §5 "Interrupt Gateways"):
 * a source's rising level makes it pending, even while it is claimed; its
 * falling level does not clear a pending request (QEMU 7.2 behaves the
 * same, checked with qtest in test/emulator/devices/qemu-qtest.test.ts);
 * a claim clears the pending bit and marks the source claimed; a completion
 * unmarks it and, if the level is still high, makes it pending again.
 * (QEMU re-pends instead whenever the device next drives its line, which its
 * UART does on many register accesses, so a handler that services the device
 * before completing sees the same thing on both; one that completes without
 * touching the device loses the interrupt on QEMU but not here.)
 * A context's output is high while some source is pending, enabled for it,
 * not claimed, and of priority above its threshold; a claim returns the one
 * of highest priority, the lowest ID among equals, or 0 (§7, §8).
 *
 * As QEMU 7.2 does: a completion of any existing source ID is honoured even
 * if the context does not enable it; only 4-byte aligned accesses are
 * served (others read 0 and are ignored; QEMU raises an access fault); the
 * priority of source 0 reads 0; its enable bit is storage without effect.
 * (QEMU 7.2 also stores a priority for source 96, one past its last source,
 * which no enable bit can reach; here that register reads 0.)
 */
import type { AccessSize, InterruptLine, MmioDevice, Snapshottable } from './device.js';

export const PLIC_PRIORITY_BASE = 0x00_0000;
export const PLIC_PENDING_BASE = 0x00_1000;
export const PLIC_ENABLE_BASE = 0x00_2000;
export const PLIC_ENABLE_STRIDE = 0x80;
export const PLIC_CONTEXT_BASE = 0x20_0000;
export const PLIC_CONTEXT_STRIDE = 0x1000;
/** Size of the window on QEMU's virt board (room for 1024 contexts). */
export const PLIC_WINDOW_SIZE = 0x60_0000;

/** Priority and threshold registers hold 0..PLIC_MAX_PRIORITY (3 bits on virt). */
export const PLIC_MAX_PRIORITY = 7;

export interface PlicState {
  readonly priority: readonly number[];
  readonly threshold: readonly number[];
  /** One bit per source, 32 to a word. */
  readonly pending: readonly number[];
  readonly claimed: readonly number[];
  readonly level: readonly number[];
  /** Context c's words start at c * words-per-context. */
  readonly enable: readonly number[];
}

export class Plic implements MmioDevice, Snapshottable<PlicState> {
  readonly name = 'plic';
  readonly size = PLIC_WINDOW_SIZE;
  /** Sources counted with source 0, as QEMU's `num-sources`. */
  readonly sources: number;
  readonly contexts: number;
  readonly #words: number;
  readonly #priority: Uint32Array;
  readonly #threshold: Uint32Array;
  readonly #pending: Uint32Array;
  readonly #claimed: Uint32Array;
  readonly #level: Uint32Array;
  readonly #enable: Uint32Array;
  readonly #outputLevel: boolean[];

  /**
   * `contextLines[c]` is context c's output: index 2h is hart h's MEIP,
   * 2h+1 its SEIP. `sources` counts source 0 (QEMU virt: 96). Drives every
   * output low once.
   */
  constructor(private readonly contextLines: readonly InterruptLine[], sources: number) {
    if (!Number.isInteger(sources) || sources < 2 || sources > 1024) {
      throw new RangeError(`Plic: sources must be 2..1024 (source 0 included), got ${sources}`);
    }
    if (contextLines.length < 1 || contextLines.length > 15872) {
      throw new RangeError(`Plic: needs 1..15872 contexts, got ${contextLines.length}`);
    }
    this.sources = sources;
    this.contexts = contextLines.length;
    this.#words = (sources + 31) >>> 5;
    this.#priority = new Uint32Array(sources);
    this.#threshold = new Uint32Array(this.contexts);
    this.#pending = new Uint32Array(this.#words);
    this.#claimed = new Uint32Array(this.#words);
    this.#level = new Uint32Array(this.#words);
    this.#enable = new Uint32Array(this.#words * this.contexts);
    this.#outputLevel = new Array<boolean>(this.contexts).fill(false);
    for (const line of contextLines) line(false);
  }

  /** Drives interrupt source `irq` (1..sources-1) to `level`. Idempotent: only a rising level makes the source pending. */
  setSource(irq: number, level: boolean): void {
    if (!Number.isInteger(irq) || irq < 1 || irq >= this.sources) {
      throw new RangeError(`Plic.setSource: source ${irq} does not exist (1..${this.sources - 1})`);
    }
    if (level === getBit(this.#level, irq)) return;
    setBit(this.#level, irq, level);
    if (level) {
      setBit(this.#pending, irq, true); // even while claimed, as QEMU: it interrupts again after completion
      this.#update();
    }
  }

  /** Whether source `irq` is pending (what the pending registers show). */
  isPending(irq: number): boolean {
    return irq >= 0 && irq < this.sources && getBit(this.#pending, irq);
  }

  read(offset: number, size: AccessSize): bigint {
    if (size !== 4 || offset % 4 !== 0) return 0n;
    if (offset < PLIC_PENDING_BASE) {
      const source = (offset - PLIC_PRIORITY_BASE) / 4;
      return source < this.sources ? BigInt(this.#priority[source]!) : 0n; // priority[0] stays 0
    }
    if (offset < PLIC_ENABLE_BASE) {
      const word = (offset - PLIC_PENDING_BASE) / 4;
      return word < this.#words ? BigInt(this.#pending[word]!) : 0n;
    }
    if (offset < PLIC_CONTEXT_BASE) {
      const index = this.#enableIndex(offset);
      return index === null ? 0n : BigInt(this.#enable[index]!);
    }
    const context = Math.floor((offset - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE);
    if (context >= this.contexts) return 0n;
    switch ((offset - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE) {
      case 0:
        return BigInt(this.#threshold[context]!);
      case 4:
        return BigInt(this.#claim(context));
      default:
        return 0n;
    }
  }

  write(offset: number, size: AccessSize, value: bigint): void {
    if (size !== 4 || offset % 4 !== 0) return;
    const word = Number(value & 0xffff_ffffn);
    if (offset < PLIC_PENDING_BASE) {
      const source = (offset - PLIC_PRIORITY_BASE) / 4;
      if (source > 0 && source < this.sources) {
        this.#priority[source] = word % (PLIC_MAX_PRIORITY + 1);
        this.#update();
      }
      return;
    }
    if (offset < PLIC_ENABLE_BASE) return; // pending bits are read-only
    if (offset < PLIC_CONTEXT_BASE) {
      const index = this.#enableIndex(offset);
      if (index !== null) {
        this.#enable[index] = word;
        this.#update();
      }
      return;
    }
    const context = Math.floor((offset - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE);
    if (context >= this.contexts) return;
    switch ((offset - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE) {
      case 0:
        this.#threshold[context] = word % (PLIC_MAX_PRIORITY + 1);
        this.#update();
        return;
      case 4:
        this.#complete(word);
        return;
      default:
        return;
    }
  }

  save(): PlicState {
    return {
      priority: Array.from(this.#priority),
      threshold: Array.from(this.#threshold),
      pending: Array.from(this.#pending),
      claimed: Array.from(this.#claimed),
      level: Array.from(this.#level),
      enable: Array.from(this.#enable),
    };
  }

  /** Puts the state back and re-drives every context output to its restored level. */
  restore(state: PlicState): void {
    const expect = (field: keyof PlicState, length: number): void => {
      if (state[field].length !== length) {
        throw new RangeError(`Plic.restore: ${field} has ${state[field].length} entries, expected ${length}`);
      }
    };
    expect('priority', this.sources);
    expect('threshold', this.contexts);
    expect('pending', this.#words);
    expect('claimed', this.#words);
    expect('level', this.#words);
    expect('enable', this.#words * this.contexts);
    this.#priority.set(state.priority);
    this.#threshold.set(state.threshold);
    this.#pending.set(state.pending);
    this.#claimed.set(state.claimed);
    this.#level.set(state.level);
    this.#enable.set(state.enable);
    for (let context = 0; context < this.contexts; context++) {
      this.#outputLevel[context] = this.#best(context) !== 0;
      this.contextLines[context]!(this.#outputLevel[context]!);
    }
  }

  /** Index into #enable for an offset in the enable block, or null past the configured contexts and sources. */
  #enableIndex(offset: number): number | null {
    const context = Math.floor((offset - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE);
    const word = ((offset - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE) / 4;
    if (context >= this.contexts || word >= this.#words) return null;
    return context * this.#words + word;
  }

  /** The source a claim by `context` would return now: highest priority above the threshold, lowest ID on ties; 0 if none. */
  #best(context: number): number {
    let bestSource = 0;
    let bestPriority = this.#threshold[context]!;
    const base = context * this.#words;
    for (let word = 0; word < this.#words; word++) {
      let candidates = this.#pending[word]! & ~this.#claimed[word]! & this.#enable[base + word]!;
      while (candidates !== 0) {
        const bit = 31 - Math.clz32(candidates & -candidates);
        candidates &= candidates - 1;
        const source = word * 32 + bit;
        if (source === 0 || source >= this.sources) continue;
        const priority = this.#priority[source]!;
        if (priority > bestPriority) {
          bestSource = source;
          bestPriority = priority;
        }
      }
    }
    return bestSource;
  }

  #claim(context: number): number {
    const source = this.#best(context);
    if (source !== 0) {
      setBit(this.#pending, source, false);
      setBit(this.#claimed, source, true);
    }
    this.#update();
    return source;
  }

  #complete(source: number): void {
    if (source >= this.sources) return;
    setBit(this.#claimed, source, false);
    if (getBit(this.#level, source)) setBit(this.#pending, source, true);
    this.#update();
  }

  #update(): void {
    for (let context = 0; context < this.contexts; context++) {
      const level = this.#best(context) !== 0;
      if (level !== this.#outputLevel[context]) {
        this.#outputLevel[context] = level;
        this.contextLines[context]!(level);
      }
    }
  }
}

function getBit(words: Uint32Array, bit: number): boolean {
  return ((words[bit >>> 5]! >>> (bit & 31)) & 1) === 1;
}

function setBit(words: Uint32Array, bit: number, value: boolean): void {
  const mask = 1 << (bit & 31);
  const word = bit >>> 5;
  words[word] = value ? words[word]! | mask : words[word]! & ~mask;
}
