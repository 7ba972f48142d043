/**
 * Opcode tables as data: no two match/mask pairs overlap, every compressed
 * form expands to the 32-bit instruction the assembler says it stands for
 * (pairs from llvm-mc 14, `-mattr=+c -show-encoding`), and reserved or F/D
 * encodings are illegal.
 */
import { describe, expect, it } from 'vitest';
import { OPCODES, findOpcode, mnemonicOf } from '../../emulator/isa/decode.js';
import { ILLEGAL, RVC, expandCompressed } from '../../emulator/isa/rvc.js';
import { Exception } from '../../emulator/hart/causes.js';
import { makeMachine } from './support.js';

function overlaps(a: { match: number; mask: number }, b: { match: number; mask: number }): boolean {
  return ((a.mask & b.mask & (a.match ^ b.match)) >>> 0) === 0;
}

describe('opcode tables', () => {
  it('no two 32-bit entries overlap, and every match lies inside its mask', () => {
    for (const e of OPCODES) expect((e.match & ~e.mask) >>> 0, e.mnemonic).toBe(0);
    for (let i = 0; i < OPCODES.length; i++) {
      for (let j = i + 1; j < OPCODES.length; j++) {
        expect(overlaps(OPCODES[i]!, OPCODES[j]!), `${OPCODES[i]!.mnemonic} overlaps ${OPCODES[j]!.mnemonic}`).toBe(false);
      }
    }
  });

  it('no two compressed entries overlap', () => {
    for (let i = 0; i < RVC.length; i++) {
      for (let j = i + 1; j < RVC.length; j++) {
        expect(overlaps(RVC[i]!, RVC[j]!), `${RVC[i]!.mnemonic} overlaps ${RVC[j]!.mnemonic}`).toBe(false);
      }
    }
  });

  it('covers RV64IMA, Zicsr, Zifencei and the privileged instructions', () => {
    const names = new Set(OPCODES.map((e) => e.mnemonic));
    const expected = [
      'lui', 'auipc', 'jal', 'jalr', 'beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu', 'lb', 'lh', 'lw', 'ld', 'lbu', 'lhu', 'lwu', 'sb', 'sh', 'sw', 'sd',
      'addi', 'slti', 'sltiu', 'xori', 'ori', 'andi', 'slli', 'srli', 'srai', 'add', 'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or', 'and',
      'addiw', 'slliw', 'srliw', 'sraiw', 'addw', 'subw', 'sllw', 'srlw', 'sraw', 'fence', 'fence.i', 'ecall', 'ebreak', 'mret', 'sret', 'wfi', 'sfence.vma',
      'csrrw', 'csrrs', 'csrrc', 'csrrwi', 'csrrsi', 'csrrci', 'mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu', 'mulw', 'divw', 'divuw', 'remw', 'remuw',
      'lr.w', 'sc.w', 'lr.d', 'sc.d',
      ...['swap', 'add', 'xor', 'and', 'or', 'min', 'max', 'minu', 'maxu'].flatMap((n) => [`amo${n}.w`, `amo${n}.d`]),
    ];
    for (const n of expected) expect(names.has(n), n).toBe(true);
    expect(names.size).toBe(OPCODES.length);
  });

  it('accepts aq/rl on atomics and decodes by mnemonic', () => {
    expect(mnemonicOf(0x06b6252f)).toBe('amoadd.w'); // amoadd.w.aqrl a0, a1, (a2)
    expect(findOpcode(0x1005b52f)?.mnemonic).toBe('lr.d');
  });
});

// [assembly, compressed encoding, the 32-bit encoding of its expansion]
const COMPRESSED: [string, number, number][] = [
  ['c.addi4spn a0, sp, 1020', 0x1fe8, 0x3fc10513],
  ['c.lw a1, 124(a2)', 0x5e6c, 0x07c62583],
  ['c.ld a3, 248(a4)', 0x7f74, 0x0f873683],
  ['c.sw a5, 4(s0)', 0xc05c, 0x00f42223],
  ['c.sd s1, 128(a0)', 0xe144, 0x08953023],
  ['c.nop', 0x0001, 0x00000013],
  ['c.addi t0, -32', 0x1281, 0xfe028293],
  ['c.addiw a0, 31', 0x257d, 0x01f5051b],
  ['c.li t1, -1', 0x537d, 0xfff00313],
  ['c.addi16sp sp, -512', 0x7101, 0xe0010113],
  ['c.addi16sp sp, 496', 0x617d, 0x1f010113],
  ['c.lui t2, 0xfffe1', 0x7385, 0xfffe13b7],
  ['c.lui s2, 31', 0x697d, 0x0001f937],
  ['c.srli a0, 63', 0x917d, 0x03f55513],
  ['c.srai a1, 1', 0x8585, 0x4015d593],
  ['c.andi a2, -32', 0x9a01, 0xfe067613],
  ['c.sub s0, s1', 0x8c05, 0x40940433],
  ['c.xor a3, a4', 0x8eb9, 0x00e6c6b3],
  ['c.or a5, s0', 0x8fc1, 0x0087e7b3],
  ['c.and s1, a0', 0x8ce9, 0x00a4f4b3],
  ['c.subw a1, a2', 0x9d91, 0x40c585bb],
  ['c.addw a3, a4', 0x9eb9, 0x00e686bb],
  ['c.j -2048', 0xb001, 0x801ff06f],
  ['c.j 2046', 0xaffd, 0x7fe0006f],
  ['c.beqz a0, -256', 0xd101, 0xf00500e3],
  ['c.bnez s1, 254', 0xecfd, 0x0e049f63],
  ['c.slli t3, 63', 0x1e7e, 0x03fe1e13],
  ['c.lwsp t4, 252(sp)', 0x5efe, 0x0fc12e83],
  ['c.ldsp t5, 504(sp)', 0x7f7e, 0x1f813f03],
  ['c.jr ra', 0x8082, 0x00008067],
  ['c.mv t6, a0', 0x8faa, 0x00a00fb3],
  ['c.ebreak', 0x9002, 0x00100073],
  ['c.jalr t0', 0x9282, 0x000280e7],
  ['c.add s3, s4', 0x99d2, 0x014989b3],
  ['c.swsp ra, 252(sp)', 0xdf86, 0x0e112e23],
  ['c.sdsp s11, 504(sp)', 0xffee, 0x1fb13c23],
];

describe('compressed expansion', () => {
  for (const [text, c, full] of COMPRESSED) {
    it(`${text} expands to 0x${full.toString(16).padStart(8, '0')}`, () => {
      expect(expandCompressed(c) >>> 0).toBe(full);
    });
  }

  it('reserved and F/D compressed encodings are illegal', () => {
    const reserved = [
      0x0000, // all zeros
      0x0000 | (1 << 2), // c.addi4spn with nzuimm = 0
      0x2000, // c.fld
      0xa000, // c.fsd
      0x8000, // quadrant 0 funct3 100
      0x2001, // c.addiw rd = 0
      0x6101, // c.addi16sp nzimm = 0
      0x6081, // c.lui rd=1 imm = 0
      0x9c41, // reserved quadrant 1 (RV64 funct 100111 10)
      0x2002, // c.fldsp
      0x4002, // c.lwsp rd = 0
      0x6002, // c.ldsp rd = 0
      0x8002, // c.jr rs1 = 0
      0xa002, // c.fsdsp
    ];
    for (const c of reserved) expect(expandCompressed(c), `0x${c.toString(16)}`).toBe(ILLEGAL);
  });
});

describe('illegal instructions', () => {
  const cases: [string, number][] = [
    ['all zeros', 0x00000000],
    ['all ones', 0xffffffff],
    ['flw (LOAD-FP)', 0x00052007],
    ['fsd (STORE-FP)', 0x00a53027],
    ['fadd.d (OP-FP)', 0x02b50553],
    ['fmadd.s', 0x00b50543],
    ['slliw with shamt[5] set', 0x0205151b],
    ['lr.d with rs2 != 0', 0x1055352f],
    ['csrr fcsr (no F)', 0x00302573],
  ];
  for (const [name, bits] of cases) {
    it(`${name} raises IllegalInstruction with the bits in mtval`, () => {
      const m = makeMachine([bits]);
      m.run(1);
      expect(m.traps[0]).toMatchObject({ cause: Exception.IllegalInstruction, interrupt: false });
      expect(m.hart.mtval).toBe(BigInt(bits & 3) === 3n ? BigInt(bits >>> 0) : BigInt(bits & 0xffff));
    });
  }
});
