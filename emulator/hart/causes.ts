/**
 * Exception and interrupt cause codes (privileged spec 1.12, table 3.6), by
 * their spec names. `mcause` has bit 63 set for interrupts.
 */
export const Exception = {
  InstructionAddressMisaligned: 0,
  InstructionAccessFault: 1,
  IllegalInstruction: 2,
  Breakpoint: 3,
  LoadAddressMisaligned: 4,
  LoadAccessFault: 5,
  StoreAddressMisaligned: 6,
  StoreAccessFault: 7,
  EnvironmentCallFromUMode: 8,
  EnvironmentCallFromSMode: 9,
  EnvironmentCallFromVSMode: 10,
  EnvironmentCallFromMMode: 11,
  InstructionPageFault: 12,
  LoadPageFault: 13,
  StorePageFault: 15,
  InstructionGuestPageFault: 20,
  LoadGuestPageFault: 21,
  VirtualInstruction: 22,
  StoreGuestPageFault: 23,
} as const;

export const Interrupt = {
  SupervisorSoftware: 1,
  VirtualSupervisorSoftware: 2,
  MachineSoftware: 3,
  SupervisorTimer: 5,
  VirtualSupervisorTimer: 6,
  MachineTimer: 7,
  SupervisorExternal: 9,
  VirtualSupervisorExternal: 10,
  MachineExternal: 11,
  SupervisorGuestExternal: 12,
} as const;

/** mip/mie bit masks. */
export const MIP_SSIP = 1 << 1;
export const MIP_MSIP = 1 << 3;
export const MIP_STIP = 1 << 5;
export const MIP_MTIP = 1 << 7;
export const MIP_SEIP = 1 << 9;
export const MIP_MEIP = 1 << 11;
/** The hypervisor extension's VS-level interrupts (8.4.3), always delegated past M (mideleg reads them as one). */
export const MIP_VSSIP = 1 << 2;
export const MIP_VSTIP = 1 << 6;
export const MIP_VSEIP = 1 << 10;
export const MIP_SGEIP = 1 << 12;
export const VS_INTERRUPTS = MIP_VSSIP | MIP_VSTIP | MIP_VSEIP;

/** Interrupts in the order they are taken when several are pending (privileged spec 3.1.9). */
export const INTERRUPT_PRIORITY = [
  Interrupt.MachineExternal,
  Interrupt.MachineSoftware,
  Interrupt.MachineTimer,
  Interrupt.SupervisorExternal,
  Interrupt.SupervisorSoftware,
  Interrupt.SupervisorTimer,
  // The hypervisor extension's order after STI (8.4.3): SGEI, VSEI, VSSI, VSTI.
  Interrupt.SupervisorGuestExternal,
  Interrupt.VirtualSupervisorExternal,
  Interrupt.VirtualSupervisorSoftware,
  Interrupt.VirtualSupervisorTimer,
] as const;

/** Exceptions whose tval is a faulting address: with V = 1 (or HLV/HSV) it is a guest virtual address, so GVA is set (8.2.1). */
export const ADDRESS_EXCEPTIONS =
  (1 << 0) | (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 12) | (1 << 13) | (1 << 15) | (1 << 20) | (1 << 21) | (1 << 23);

/** Privilege levels. */
export const PRV_U = 0;
export const PRV_S = 1;
export const PRV_M = 3;
export type Privilege = 0 | 1 | 3;

const EXCEPTION_NAMES = new Map<number, string>(Object.entries(Exception).map(([k, v]) => [v, k]));
const INTERRUPT_NAMES = new Map<number, string>(Object.entries(Interrupt).map(([k, v]) => [v, k]));

/** The spec name of a cause, for traces and errors. */
export function causeName(cause: number, interrupt: boolean): string {
  return (interrupt ? INTERRUPT_NAMES : EXCEPTION_NAMES).get(cause) ?? `${interrupt ? 'interrupt' : 'exception'} ${cause}`;
}

/**
 * Thrown (one shared instance) to unwind an instruction that raised an
 * exception; the cause and tval are in the hart's pending-trap fields.
 */
export class TrapSignal {
  readonly name = 'TrapSignal';
}
export const TRAP = new TrapSignal();
