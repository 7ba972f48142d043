/**
 * Zicsr, Zifencei and the privileged instructions (privileged spec 1.12,
 * 3.3, 4.2.1 and 8.3): ecall, ebreak, mret, sret, wfi, sfence.vma, fence.i,
 * the six CSR instructions, and the hypervisor extension's hfence.vvma,
 * hfence.gvma, hlv/hlvx/hsv (they raise illegal instruction on a hart
 * without it). Privilege guards are Hart methods, so each body
 * is a line; everything that may change interrupts or translation returns -1
 * (the hart re-checks both before the next instruction).
 */
import type { OpcodeEntry } from './op.js';
import { csrAddress, rdIndex, rs1Index, rs1Number, rs2Index, rs2Number } from './fields.js';

const I = 0x707f;
const EXACT = 0xffffffff;

/** How a CSR instruction computes the new value from the old. */
export const CSR_WRITE = 0;
export const CSR_SET = 1;
export const CSR_CLEAR = 2;

export const SYSTEM: readonly OpcodeEntry[] = [
  { mnemonic: 'ecall', match: 0x00000073, mask: EXACT, make: () => (h) => h.ecall() },
  { mnemonic: 'ebreak', match: 0x00100073, mask: EXACT, make: (s) => (h) => h.ebreak(s.off) },
  { mnemonic: 'mret', match: 0x30200073, mask: EXACT, make: (s) => (h) => h.mret(s.bits) },
  { mnemonic: 'sret', match: 0x10200073, mask: EXACT, make: (s) => (h) => h.sret(s.bits) },
  { mnemonic: 'wfi', match: 0x10500073, mask: EXACT, make: (s) => (h) => h.wfi(s.bits, s.next) },
  {
    mnemonic: 'sfence.vma', match: 0x12000073, mask: 0xfe007fff,
    make: (s) => {
      const a = rs1Number(s.raw) === 0 ? -1 : rs1Index(s.raw);
      const b = rs2Number(s.raw) === 0 ? -1 : rs2Index(s.raw);
      return (h) => h.sfenceVma(a, b, s.bits, s.next);
    },
  },
  ...(
    [
      ['hfence.vvma', 0x22000073, false],
      ['hfence.gvma', 0x62000073, true],
    ] as const
  ).map(([mnemonic, match, gvma]): OpcodeEntry => ({
    mnemonic, match, mask: 0xfe007fff,
    make: (s) => {
      const a = rs1Number(s.raw) === 0 ? -1 : rs1Index(s.raw);
      const b = rs2Number(s.raw) === 0 ? -1 : rs2Index(s.raw);
      return gvma ? (h) => h.hfenceGvma(a, b, s.bits, s.next) : (h) => h.hfenceVvma(a, b, s.bits, s.next);
    },
  })),
  // hlv.*, hlvx.*: funct7 selects the width, rs2 = 0 (signed), 1 (unsigned) or 3 (hlvx).
  ...(
    [
      ['hlv.b', 0x60004073, 1, true, false],
      ['hlv.bu', 0x60104073, 1, false, false],
      ['hlv.h', 0x64004073, 2, true, false],
      ['hlv.hu', 0x64104073, 2, false, false],
      ['hlvx.hu', 0x64304073, 2, false, true],
      ['hlv.w', 0x68004073, 4, true, false],
      ['hlv.wu', 0x68104073, 4, false, false],
      ['hlvx.wu', 0x68304073, 4, false, true],
      ['hlv.d', 0x6c004073, 8, true, false],
    ] as const
  ).map(([mnemonic, match, size, signed, hlvx]): OpcodeEntry => ({
    mnemonic, match, mask: 0xfff0707f,
    make: (s) => {
      const d = rdIndex(s.raw);
      const a = rs1Index(s.raw);
      const next = s.next;
      return (h) => { h.hypervisorLoad(d, a, size, signed, hlvx, s.bits); return next; };
    },
  })),
  ...(
    [
      ['hsv.b', 0x62004073, 1],
      ['hsv.h', 0x66004073, 2],
      ['hsv.w', 0x6a004073, 4],
      ['hsv.d', 0x6e004073, 8],
    ] as const
  ).map(([mnemonic, match, size]): OpcodeEntry => ({
    mnemonic, match, mask: 0xfe007fff,
    make: (s) => {
      const a = rs1Index(s.raw);
      const b = rs2Index(s.raw);
      const next = s.next;
      return (h) => { h.hypervisorStore(a, b, size, s.bits); return next; };
    },
  })),
  // Decoded instructions are dropped whenever their page is written, so fence.i has nothing left to do.
  { mnemonic: 'fence.i', match: 0x0000100f, mask: I, make: (s) => { const next = s.next; return () => next; } },

  ...(
    [
      ['csrrw', 1, CSR_WRITE, false],
      ['csrrs', 2, CSR_SET, false],
      ['csrrc', 3, CSR_CLEAR, false],
      ['csrrwi', 5, CSR_WRITE, true],
      ['csrrsi', 6, CSR_SET, true],
      ['csrrci', 7, CSR_CLEAR, true],
    ] as const
  ).map(([mnemonic, funct3, how, immediate]): OpcodeEntry => ({
    mnemonic,
    match: (funct3 << 12) | 0x73,
    mask: I,
    make: (s) => {
      const d = rdIndex(s.raw);
      const source = rs1Number(s.raw);
      const a = immediate ? -1 : rs1Index(s.raw);
      const csr = csrAddress(s.raw);
      // csrrw(i) always writes; set/clear write only when rs1/uimm is nonzero (spec 9.1).
      const writes = how === CSR_WRITE || source !== 0;
      // csrrw with rd = x0 does not read (no side effects either way here).
      return (h) => h.csrInstruction(csr, d, a, source, how, writes, s.bits, s.next);
    },
  })),
];

