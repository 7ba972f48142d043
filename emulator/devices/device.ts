/**
 * The contract between the board's bus and every memory-mapped device.
 *
 * Offsets are relative to the device's base address on the board's memory
 * map (emulator/board). Values are zero-extended to 64 bits. The bus never
 * splits or merges accesses: a device sees exactly the size the hart used and
 * decides itself what an access of an unsupported size or offset does (the
 * device's manual says; where it is silent, reads give 0 and writes are
 * ignored, as QEMU does).
 */
export type AccessSize = 1 | 2 | 4 | 8;

export interface MmioDevice {
  /** Short, stable name used in traces and errors (e.g. "ns16550"). */
  readonly name: string;
  /** Size in bytes of the device's window on the bus. */
  readonly size: number;
  read(offset: number, size: AccessSize): bigint;
  write(offset: number, size: AccessSize, value: bigint): void;
}

/** A level-sensitive interrupt wire: the device drives it, the receiver samples it. */
export type InterruptLine = (level: boolean) => void;

/** Devices whose whole state can be captured as plain data and put back (snapshots). */
export interface Snapshottable<State> {
  save(): State;
  restore(state: State): void;
}
