/**
 * Instruction field extraction (unprivileged spec 2.2-2.3). Register fields
 * come back as doubled indices into the (lo, hi) register file; rd = x0 maps
 * to a sink slot so that writes to x0 vanish without a test in every body.
 */
export const X0_SINK = 64;
/** Scratch register slots (doubled indices) the A extension uses for temporaries. */
export const TEMP_A = 66;
export const TEMP_B = 68;
/** Length of the register file array. */
export const REGISTER_FILE_LENGTH = 70;

export function rdIndex(raw: number): number {
  const rd = (raw >>> 7) & 31;
  return rd === 0 ? X0_SINK : rd * 2;
}
export function rs1Index(raw: number): number {
  return ((raw >>> 15) & 31) * 2;
}
export function rs2Index(raw: number): number {
  return ((raw >>> 20) & 31) * 2;
}
export function rdNumber(raw: number): number {
  return (raw >>> 7) & 31;
}
export function rs1Number(raw: number): number {
  return (raw >>> 15) & 31;
}
export function rs2Number(raw: number): number {
  return (raw >>> 20) & 31;
}
export function immI(raw: number): number {
  return raw >> 20;
}
export function immS(raw: number): number {
  return ((raw >> 25) << 5) | ((raw >>> 7) & 0x1f);
}
export function immB(raw: number): number {
  return ((raw >> 31) << 12) | (((raw >>> 7) & 1) << 11) | (((raw >>> 25) & 0x3f) << 5) | (((raw >>> 8) & 0xf) << 1);
}
export function immU(raw: number): number {
  return raw & 0xfffff000;
}
export function immJ(raw: number): number {
  return ((raw >> 31) << 20) | (((raw >>> 12) & 0xff) << 12) | (((raw >>> 20) & 1) << 11) | (((raw >>> 21) & 0x3ff) << 1);
}
/** shamt[5:0] of RV64 immediate shifts. */
export function shamt6(raw: number): number {
  return (raw >>> 20) & 0x3f;
}
/** shamt[4:0] of the *IW shifts. */
export function shamt5(raw: number): number {
  return (raw >>> 20) & 0x1f;
}
export function csrAddress(raw: number): number {
  return raw >>> 20;
}

// Encoders, used by the compressed-instruction expander (rvc.ts) and tests.
export function encR(opcode: number, rd: number, funct3: number, rs1: number, rs2: number, funct7: number): number {
  return ((funct7 << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode) >>> 0;
}
export function encI(opcode: number, rd: number, funct3: number, rs1: number, imm: number): number {
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode) >>> 0;
}
export function encS(opcode: number, funct3: number, rs1: number, rs2: number, imm: number): number {
  return ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | ((imm & 0x1f) << 7) | opcode) >>> 0;
}
export function encB(opcode: number, funct3: number, rs1: number, rs2: number, imm: number): number {
  return (
    ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | opcode) >>> 0
  );
}
export function encU(opcode: number, rd: number, imm: number): number {
  return ((imm & 0xfffff000) | (rd << 7) | opcode) >>> 0;
}
export function encJ(opcode: number, rd: number, imm: number): number {
  return (
    ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12) | (rd << 7) | opcode) >>> 0
  );
}
