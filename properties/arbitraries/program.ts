/**
 * Console command programs (hypervisor/README.md, "Debug console protocol") as plain data. Every
 * parameter that names something live — a hart, a frame the program holds, a reserved frame, a probe
 * target — is a *position*, taken modulo what exists when the command runs, so any shrink of a
 * program is still a valid program. Swarm testing: each program enables a random subset of command
 * kinds, so long runs of one kind (many allocs: an empty allocator) happen.
 */
import fc from 'fast-check';

export const COMMAND_KINDS = [
  'alloc',
  'free',
  'double-free',
  'free-reserved',
  'free-misaligned',
  'free-out-of-range',
  'recurse',
  'probe',
  'batch',
  'drain',
] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

export type ProbeAccess = 'read' | 'write' | 'exec';

export type ConsoleCommand =
  /** kalloc on hart #hart. */
  | { readonly kind: 'alloc'; readonly hart: number }
  /** kfree of held frame #frame (the program's own allocations, oldest first). */
  | { readonly kind: 'free'; readonly hart: number; readonly frame: number }
  /** free2 (kfree twice) of held frame #frame; with nothing held, free of a frame already freed. */
  | { readonly kind: 'double-free'; readonly hart: number; readonly frame: number }
  /** kfree of reserved frame #frame (firmware, image, state table, blob). */
  | { readonly kind: 'free-reserved'; readonly hart: number; readonly frame: number }
  /** kfree of a held (or reserved) frame's VA + offset (1..4095). */
  | { readonly kind: 'free-misaligned'; readonly hart: number; readonly frame: number; readonly offset: number }
  /**
   * kfree outside the linear map of RAM: `pages` × 4 KiB + `offset` above its end, or (below) that far
   * above address 0. A non-zero offset makes it misaligned too, which kfree must judge first.
   */
  | { readonly kind: 'free-out-of-range'; readonly hart: number; readonly pages: number; readonly offset: number; readonly below: boolean }
  /** recursion of `depth` 256-byte frames (deep ones overflow the stack). */
  | { readonly kind: 'recurse'; readonly hart: number; readonly depth: number }
  /** 8-byte read, write or call at probe target #target. */
  | { readonly kind: 'probe'; readonly hart: number; readonly access: ProbeAccess; readonly target: number; readonly value: number }
  /** alloc/free batch on several harts at once: each runs `count` kallocs then `count` kfrees. */
  | { readonly kind: 'batch'; readonly harts: readonly number[]; readonly count: number }
  /** alloc on hart #hart until the allocator is empty (only where few frames are free: 16 MiB RAM). */
  | { readonly kind: 'drain'; readonly hart: number };

/** The deepest recursion generated: about 60 levels fit a 16 KiB stack, so this always overflows. */
export const MAX_RECURSE_DEPTH = 200;
/** The hypervisor keeps at most 256 batch frames per hart. */
export const MAX_BATCH_COUNT = 256;

const position = fc.nat({ max: 1 << 16 });
const hart = fc.nat({ max: 7 });

export const COMMAND_ARBITRARIES: Readonly<Record<CommandKind, fc.Arbitrary<ConsoleCommand>>> = {
  alloc: fc.record({ kind: fc.constant('alloc' as const), hart }),
  free: fc.record({ kind: fc.constant('free' as const), hart, frame: position }),
  'double-free': fc.record({ kind: fc.constant('double-free' as const), hart, frame: position }),
  'free-reserved': fc.record({ kind: fc.constant('free-reserved' as const), hart, frame: position }),
  'free-misaligned': fc.record({ kind: fc.constant('free-misaligned' as const), hart, frame: position, offset: fc.integer({ min: 1, max: 4095 }) }),
  'free-out-of-range': fc.record({
    kind: fc.constant('free-out-of-range' as const),
    hart,
    pages: fc.nat({ max: 1 << 20 }),
    offset: fc.oneof({ withCrossShrink: true }, fc.constant(0), fc.integer({ min: 1, max: 4095 })),
    below: fc.boolean(),
  }),
  recurse: fc.record({
    kind: fc.constant('recurse' as const),
    hart,
    depth: fc.oneof({ withCrossShrink: true }, fc.integer({ min: 0, max: 8 }), fc.integer({ min: 50, max: MAX_RECURSE_DEPTH })),
  }),
  probe: fc.record({ kind: fc.constant('probe' as const), hart, access: fc.constantFrom<ProbeAccess>('read', 'write', 'exec'), target: position, value: fc.nat() }),
  batch: fc.record({
    kind: fc.constant('batch' as const),
    harts: fc.uniqueArray(hart, { minLength: 1, maxLength: 8 }),
    count: fc.integer({ min: 1, max: 24 }),
  }),
  drain: fc.record({ kind: fc.constant('drain' as const), hart }),
};

export interface ProgramArbitraryOptions {
  /** Kinds that may be enabled (default: all). */
  readonly kinds?: readonly CommandKind[];
  readonly maxLength?: number;
}

/** The swarm: a non-empty subset of the allowed kinds (default all), in a stable order. */
export function enabledKindsArbitrary(kinds: readonly CommandKind[] = COMMAND_KINDS): fc.Arbitrary<CommandKind[]> {
  return fc.subarray([...kinds], { minLength: 1 });
}

/** A program: a swarm of enabled kinds, then a list of commands of those kinds only. */
export function programArbitrary(options: ProgramArbitraryOptions = {}): fc.Arbitrary<ConsoleCommand[]> {
  return enabledKindsArbitrary(options.kinds).chain((kinds) =>
    fc.array(fc.oneof(...kinds.map((k) => COMMAND_ARBITRARIES[k])), { minLength: 1, maxLength: options.maxLength ?? 20 }),
  );
}

/** The command as generated (positions, not resolved values), for token dumps and logs. */
export function formatCommandData(c: ConsoleCommand): string {
  const { kind, ...rest } = c;
  return `${kind}(${Object.entries(rest)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ')})`;
}

/** Checks a value that claims to be a program (replay tokens); throws naming the bad command and field. */
export function checkProgram(value: unknown): ConsoleCommand[] {
  if (!Array.isArray(value)) throw new RangeError(`program = ${JSON.stringify(value)}: must be a list of commands`);
  return value.map((c: unknown, i) => {
    const command = c as Record<string, unknown> | null;
    if (typeof command !== 'object' || command === null || !COMMAND_KINDS.includes(command.kind as CommandKind)) {
      throw new RangeError(`program[${i}].kind = ${JSON.stringify(command?.kind)}: must be one of ${COMMAND_KINDS.join(', ')}`);
    }
    const nat = (field: string, max = Number.MAX_SAFE_INTEGER): void => {
      const v = command[field];
      if (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) > max) throw new RangeError(`program[${i}].${field} = ${JSON.stringify(v)}: must be an integer from 0 to ${max}`);
    };
    const expected = Object.keys(COMMAND_FIELDS[command.kind as CommandKind]);
    for (const field of Object.keys(command)) {
      if (field !== 'kind' && !expected.includes(field)) throw new RangeError(`program[${i}] (${String(command.kind)}) has an unknown field ${field}`);
    }
    for (const [field, max] of Object.entries(COMMAND_FIELDS[command.kind as CommandKind])) {
      if (field === 'harts') {
        const harts = command.harts;
        if (!Array.isArray(harts) || harts.length === 0 || harts.some((h) => !Number.isInteger(h) || h < 0 || h > 7)) {
          throw new RangeError(`program[${i}].harts = ${JSON.stringify(harts)}: must be a non-empty list of hart positions 0..7`);
        }
      } else if (field === 'below') {
        if (typeof command.below !== 'boolean') throw new RangeError(`program[${i}].below = ${JSON.stringify(command.below)}: must be true or false`);
      } else if (field === 'access') {
        if (!['read', 'write', 'exec'].includes(command.access as string)) throw new RangeError(`program[${i}].access = ${JSON.stringify(command.access)}: must be read, write or exec`);
      } else nat(field, max);
    }
    return command as unknown as ConsoleCommand;
  });
}

/** Each kind's fields and their largest value (harts/access checked apart). */
const COMMAND_FIELDS: Readonly<Record<CommandKind, Record<string, number>>> = {
  alloc: { hart: 7 },
  free: { hart: 7, frame: Number.MAX_SAFE_INTEGER },
  'double-free': { hart: 7, frame: Number.MAX_SAFE_INTEGER },
  'free-reserved': { hart: 7, frame: Number.MAX_SAFE_INTEGER },
  'free-misaligned': { hart: 7, frame: Number.MAX_SAFE_INTEGER, offset: 4095 },
  'free-out-of-range': { hart: 7, pages: Number.MAX_SAFE_INTEGER, offset: 4095, below: 0 },
  recurse: { hart: 7, depth: 1_000_000 },
  probe: { hart: 7, access: 0, target: Number.MAX_SAFE_INTEGER, value: Number.MAX_SAFE_INTEGER },
  batch: { harts: 0, count: MAX_BATCH_COUNT },
  drain: { hart: 7 },
};
