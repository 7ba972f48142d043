/**
 * Hostile input: malformed ELF files, symbols files and replay tokens, generated from valid ones,
 * given to the hvspec commands in-process. Every one must end as a usage error (exit 2) whose
 * message names the file and the problem, or as an ordinary verdict or exit code; never another
 * exception (a crash with a stack trace), a hang (each run has a step budget) or an out-of-memory.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { check } from '../../cli/commands/check.js';
import { replay } from '../../cli/commands/replay.js';
import { run } from '../../cli/commands/run.js';
import { loadUserImage, SUITE_SYMBOLS } from '../../cli/commands/image.js';
import { validateJsonReport, type JsonReport } from '../../cli/reports/json.js';
import { EXIT_INTERRUPTED, writeFileAtomically } from '../../cli/reports/write.js';
import { UsageError } from '../../cli/usage.js';
import { DEFAULT_PLATFORM_SPEC, encodeToken, imageDigest, TOKEN_PREFIX, type ReplayCase } from '../../properties/index.js';
import { capture, HYPERVISOR, junitProblems, scratch } from './support.js';

const dir = scratch();
afterEach(() => vi.restoreAllMocks());

/** How a command call ended: a usage error (exit 2) with its message, or a returned exit code. */
type Ending = { readonly usage: string } | { readonly exit: number };

/** Runs a command; a UsageError is exit 2, any other exception fails the test with its stack. */
async function ending(command: (args: string[]) => Promise<number>, args: string[]): Promise<Ending> {
  const io = capture();
  try {
    return { exit: await command(args) };
  } catch (e) {
    if (e instanceof UsageError) return { usage: e.message };
    throw new Error(`${args.join(' ')} crashed instead of ending with exit 2 (stderr: ${io.err().slice(0, 200)})`, { cause: e });
  } finally {
    vi.restoreAllMocks();
  }
}

// ---------------------------------------------------------------------------------------------
// Malformed ELF files

interface BaseImage {
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly phoff: number;
  readonly phnum: number;
  /** Indices of the PT_LOAD program headers. */
  readonly loads: readonly number[];
  readonly shoff: number;
  readonly shnum: number;
  /** The symbol table's file offset, entry count, and its string table's size. */
  readonly symtab: { readonly offset: number; readonly count: number; readonly strtabSize: number; readonly header: number };
}

/** Reads the offsets a mutation needs from a valid file (read directly, not with the parser under test). */
function baseImage(path: string): BaseImage {
  const bytes = new Uint8Array(readFileSync(path));
  const v = new DataView(bytes.buffer);
  const phoff = Number(v.getBigUint64(32, true));
  const phnum = v.getUint16(56, true);
  const shoff = Number(v.getBigUint64(40, true));
  const shnum = v.getUint16(60, true);
  const loads = [...Array(phnum).keys()].filter((i) => v.getUint32(phoff + 56 * i, true) === 1);
  const sh = [...Array(shnum).keys()].map((i) => shoff + 64 * i);
  const symSh = sh.find((at) => v.getUint32(at + 4, true) === 2)!;
  const strSh = shoff + 64 * v.getUint32(symSh + 40, true);
  const symtab = { header: symSh, offset: Number(v.getBigUint64(symSh + 24, true)), count: Number(v.getBigUint64(symSh + 32, true)) / 24, strtabSize: Number(v.getBigUint64(strSh + 32, true)) };
  return { path, bytes, phoff, phnum, loads, shoff, shnum, symtab };
}

const HYPERVISOR_BASE = baseImage(HYPERVISOR);
/** A bare-metal test program: `run` boots it, `check` refuses it (it is no hypervisor). */
const SMALL_BASE = baseImage('test/riscv/build/board/hello.elf');

/** One way to break a file, and what the loader must say about it (undefined: it may also load). */
interface ElfMutation {
  readonly what: string;
  readonly problem: RegExp | undefined;
  apply(base: BaseImage): Uint8Array;
}

/** A mutation fast-check prints by what it does. */
const mutation = (what: string, problem: RegExp | undefined, apply: (base: BaseImage) => Uint8Array): ElfMutation =>
  ({ what, problem, apply, [fc.toStringMethod]: () => `${what}${problem ? ` (must be refused: ${problem})` : ''}` }) as ElfMutation;

const edit = (base: BaseImage, change: (v: DataView) => void): Uint8Array => {
  const bytes = base.bytes.slice();
  change(new DataView(bytes.buffer));
  return bytes;
};
const ph = (base: BaseImage, load: number) => base.phoff + 56 * base.loads[load % base.loads.length]!;
const hex = (n: bigint) => `0x${n.toString(16)}`;

const elfMutation = (base: BaseImage): fc.Arbitrary<ElfMutation> => fc.oneof(
  fc.record({ at: fc.nat(63), mask: fc.integer({ min: 1, max: 255 }) }).map(({ at, mask }) =>
    mutation(`ELF header byte ${at} ^ 0x${mask.toString(16)}`, undefined, (b) => edit(b, (v) => v.setUint8(at, v.getUint8(at) ^ mask)))),
  fc.record({ at: fc.nat(56 * base.phnum - 1), mask: fc.integer({ min: 1, max: 255 }) }).map(({ at, mask }) =>
    mutation(`program header byte ${at} ^ 0x${mask.toString(16)}`, undefined, (b) => edit(b, (v) => v.setUint8(b.phoff + at, v.getUint8(b.phoff + at) ^ mask)))),
  // the section headers are last in the file, so every truncation cuts them at least
  fc.nat(base.bytes.length - 1).map((length) =>
    mutation(`truncated to ${length} bytes`, /past the end of the file|not an ELF file|too short for an ELF header/, (b) => b.bytes.slice(0, length))),
  fc.record({ load: fc.nat(base.loads.length - 1), paddr: fc.constantFrom(0x1000n, 0x7fff_f000n, 0x2_0000_0000n, 0xffff_ffff_ffff_f000n) }).map(({ load, paddr }) =>
    mutation(`PT_LOAD ${load} moved to p_paddr ${hex(paddr)}`, /outside RAM|lowest segment loads at|wraps past|outside every PT_LOAD|outside the smallest RAM/,
      (b) => edit(b, (v) => v.setBigUint64(ph(b, load) + 24, paddr, true)))),
  fc.nat(base.loads.length - 1).map((load) =>
    mutation(`PT_LOAD ${load} with p_memsz 2^40`, /p_memsz 0x10000000000/, (b) => edit(b, (v) => v.setBigUint64(ph(b, load) + 40, 1n << 40n, true)))),
  fc.record({ load: fc.nat(base.loads.length - 1), shift: fc.nat(base.loads.length - 2) }).map(({ load, shift }) => {
    const into = (load + 1 + shift) % base.loads.length;
    return mutation(`PT_LOAD ${load} moved onto PT_LOAD ${into}`, /overlap in physical memory/, (b) => edit(b, (v) => {
      const [from, to] = [ph(b, load), ph(b, into)];
      v.setBigUint64(from + 24, v.getBigUint64(to + 24, true), true);
      v.setBigUint64(from + 16, v.getBigUint64(to + 16, true), true);
      // both at least one byte long, so they share one
      for (const at of [from, to]) if (v.getBigUint64(at + 40, true) === 0n) v.setBigUint64(at + 40, 1n, true);
    }));
  }),
  fc.constantFrom(0n, 0x1000n, 0x7fff_fffcn, 0x9000_0000n, 0xffff_ffff_ffff_fffcn).map((entry) =>
    mutation(`e_entry ${hex(entry)}`, new RegExp(`entry ${hex(entry)} \\(e_entry\\) is outside every PT_LOAD`), (b) => edit(b, (v) => v.setBigUint64(24, entry, true)))),
  fc.record({ beyond: fc.nat(1 << 20), field: fc.constantFrom('e_shoff', 'e_shnum') }).map(({ beyond, field }) =>
    mutation(`${field} moves the section header table ${beyond} bytes further past the end of the file`, /section header table \(e_shoff 0x[0-9a-f]+, e_shnum \d+ x e_shentsize 64\) runs past the end of the file/,
      (b) => edit(b, (v) => {
        if (field === 'e_shoff') v.setBigUint64(40, BigInt(b.bytes.length - 63 + beyond), true);
        else v.setUint16(60, Math.min(0xffff, Math.floor((b.bytes.length - b.shoff) / 64) + 1 + (beyond >> 6)), true);
      }))),
  fc.record({ symbol: fc.nat(base.symtab.count - 2), beyond: fc.nat(1 << 20) }).map(({ symbol, beyond }) =>
    mutation(`symbol ${symbol + 1} named ${beyond} bytes past its string table`, new RegExp(`symbol ${symbol + 1} of section \\d+ \\(st_name ${hex(BigInt(base.symtab.strtabSize + beyond))}\\) is past the end of its string table`),
      (b) => edit(b, (v) => v.setUint32(b.symtab.offset + 24 * (symbol + 1), b.symtab.strtabSize + beyond, true)))),
  fc.nat(0xffff).map((beyond) =>
    mutation(`the symbol table's sh_link ${beyond} past the last section`, /symbol table \(section \d+\) links to string table \d+ \(sh_link\), but there are \d+ sections/,
      (b) => edit(b, (v) => v.setUint32(b.symtab.header + 40, b.shnum + beyond, true)))),
);

/** Exit 2 naming the file and, for a mutation that must be refused, the problem; otherwise any exit code. */
function expectRefusedOrRan(end: Ending, file: string, mutation: ElfMutation): void {
  if ('usage' in end) {
    expect(end.usage, mutation.what).toContain(file);
    if (mutation.problem !== undefined) expect(end.usage, mutation.what).toMatch(mutation.problem);
    expect(end.usage, mutation.what).not.toMatch(/\n\s+at /);
  } else {
    expect(mutation.problem, `${mutation.what}: accepted, exit ${end.exit}`).toBeUndefined();
  }
}

let fileCount = 0;
const writeMutant = (bytes: Uint8Array): string => {
  const path = join(dir, `mutant-${fileCount++}.elf`);
  writeFileSync(path, bytes);
  return path;
};

describe('malformed ELF files', () => {
  it.each([['the hypervisor', HYPERVISOR_BASE], ['a test program', SMALL_BASE]] as const)('hvspec run refuses %s broken any way, naming the file and the problem', async (_, base) => {
    await fc.assert(fc.asyncProperty(elfMutation(base), async (mutation) => {
      const file = writeMutant(mutation.apply(base));
      expectRefusedOrRan(await ending(run, [file, '--max-instructions', '20000']), file, mutation);
    }), { numRuns: 120 });
  });

  it('hvspec check refuses the hypervisor broken any way, naming the file and the problem', async () => {
    await fc.assert(fc.asyncProperty(elfMutation(HYPERVISOR_BASE), async (mutation) => {
      const file = writeMutant(mutation.apply(HYPERVISOR_BASE));
      // A flip the loader and the contract accept would boot code from wrong offsets, which a boot
      // judges only when its step budget (BOOT_STEP_BUDGET, minutes here) runs out: for those the
      // loading (what check does before it boots) must succeed; `run` above boots them briefly.
      let loads = false;
      try {
        loadUserImage('check', '--image', file);
        loads = true;
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
      }
      if (loads) {
        expect(mutation.problem, `${mutation.what}: accepted`).toBeUndefined();
        return;
      }
      expectRefusedOrRan(await ending(check, ['--image', file, '--only', 'boot', '--runs', '1', '--firmware', 'builtin']), file, mutation);
    }), { numRuns: 100 });
  });
});

// ---------------------------------------------------------------------------------------------
// Report files under interrupts

describe('report files', () => {
  it('a write removes the temporary file a killed hvspec left, and keeps a running one\'s', () => {
    const report = join(dir, 'stale.json');
    writeFileSync(report, 'previous');
    // pid 2^22 + 1 is above Linux's pid_max limit, so no process has it
    const dead = join(dir, `.stale.json.${(1 << 22) + 1}.tmp`);
    const live = join(dir, `.stale.json.${process.ppid}.tmp`);
    writeFileSync(dead, 'half a rep');
    writeFileSync(live, 'being writ');
    writeFileAtomically(report, '{"whole": true}');
    expect(readFileSync(report, 'utf8')).toBe('{"whole": true}');
    expect(existsSync(dead)).toBe(false);
    expect(readFileSync(live, 'utf8')).toBe('being writ');
    rmSync(live);
  });

  /** The CLI built into the scratch folder, run as a child process that can be sent SIGINT. */
  const built = join(dir, 'dist');
  const hvspec = (args: string[]) => spawn(process.execPath, [join(built, 'cli/hvspec.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const ended = (child: ReturnType<typeof hvspec>) => new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
  const temporaries = () => readdirSync(dir).filter((f) => f.endsWith('.tmp'));
  beforeAll(() => {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', built, '--noCheck']);
    writeFileSync(join(built, 'package.json'), '{"type": "module"}');
    symlinkSync(resolve('node_modules'), join(built, 'node_modules'));
  });

  it('SIGINT during the suite ends hvspec check at once, leaving the previous report intact and no temporary file', async () => {
    const report = join(dir, 'interrupted.json');
    writeFileSync(report, 'the previous report');
    const child = hvspec(['check', '--image', HYPERVISOR, '--only', 'boot', '--runs', '1000', '--json', report]);
    let out = '';
    await new Promise<void>((started) => child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('hvspec: checking')) started();
    }));
    const sent = performance.now();
    child.kill('SIGINT');
    const end = await ended(child);
    // no handler defers it to the end of the suite (1000 boots would take many minutes)
    expect(performance.now() - sent).toBeLessThan(5_000);
    expect(end.code === EXIT_INTERRUPTED || end.signal === 'SIGINT', JSON.stringify(end)).toBe(true);
    expect(readFileSync(report, 'utf8')).toBe('the previous report');
    expect(temporaries()).toEqual([]);
  });

  it('SIGINT while the reports are written leaves each report whole (new or previous), no temporary file, and exits 130', async () => {
    const paths = { json: join(dir, 'late.json'), junit: join(dir, 'late.xml'), html: join(dir, 'late.html') };
    for (const path of Object.values(paths)) writeFileSync(path, 'previous');
    const child = hvspec(['check', '--image', HYPERVISOR, '--only', 'stack-overflow-sp', '--runs', '1', '--json', paths.json, '--junit', paths.junit, '--html', paths.html]);
    let out = '';
    // the summary line is printed just before the reports are written
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/^(OK|FAILED): /m.test(out) && child.exitCode === null) child.kill('SIGINT');
    });
    const end = await ended(child);
    expect(end.code === EXIT_INTERRUPTED || end.signal === 'SIGINT' || end.code === 0, JSON.stringify(end)).toBe(true);
    const json = readFileSync(paths.json, 'utf8');
    if (json !== 'previous') expect(validateJsonReport(JSON.parse(json) as JsonReport)).toEqual([]);
    const xml = readFileSync(paths.junit, 'utf8');
    if (xml !== 'previous') expect(junitProblems(xml)).toEqual([]);
    const html = readFileSync(paths.html, 'utf8');
    if (html !== 'previous') expect(html.trimEnd()).toMatch(/<\/html>$/i);
    expect(temporaries()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Symbols files (`--symbols`) and replay tokens. (Image profiles get the same, at the end.)

describe('symbols files', () => {
  const elfSymbols = new Set(loadUserImage('check', '--image', HYPERVISOR).elf.symbols.map((s) => s.name));
  /** A value the generators put in a symbols file: an existing or missing symbol name, or another JSON type. */
  const value = fc.oneof(fc.constantFrom(...[...elfSymbols].slice(0, 20)), fc.constantFrom('page_alloc', '', 'kalloc '), fc.jsonValue({ maxDepth: 1 }));
  const key = fc.oneof(fc.constantFrom(...SUITE_SYMBOLS), fc.constantFrom('__proto__', 'constructor', 'KALLOC', ''), fc.string({ maxLength: 8 }));
  const content = fc.oneof(
    fc.dictionary(key, value, { maxKeys: 4 }).map((o) => JSON.stringify(o)),
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 40 }),
    fc.dictionary(key, value, { minKeys: 1, maxKeys: 3 }).chain((o) => fc.nat(JSON.stringify(o).length - 1).map((n) => JSON.stringify(o).slice(0, n))),
    fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1')),
  );
  /** The oracle: a symbols file is valid when it is a JSON object mapping suite names to distinct symbols of the image. */
  const valid = (text: string): boolean => {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      return false;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    const targets = Object.values(v);
    return Object.entries(v).every(([k, t]) => SUITE_SYMBOLS.includes(k) && typeof t === 'string' && elfSymbols.has(t)) && new Set(targets).size === targets.length;
  };

  it('hvspec check and replay refuse a broken symbols file, naming the file and the problem', async () => {
    const token = encodeToken({ v: 1, property: 'boot', image: { name: HYPERVISOR, digest: '0'.repeat(16) }, platform: DEFAULT_PLATFORM_SPEC });
    await fc.assert(fc.asyncProperty(content, async (text) => {
      const file = join(dir, `symbols-${fileCount++}.json`);
      writeFileSync(file, text);
      if (valid(text)) {
        // a valid file renames symbols and check would boot: loading it is what is tested here
        expect(loadUserImage('check', '--image', HYPERVISOR, file).elf.symbols.length).toBeGreaterThan(0);
        return;
      }
      for (const [command, args] of [[check, ['--image', HYPERVISOR, '--symbols', file, '--only', 'boot', '--runs', '1']], [replay, [token, '--image', HYPERVISOR, '--symbols', file]]] as const) {
        const end = await ending(command, [...args]);
        expect('usage' in end ? end.usage : `exit ${end.exit}`).toMatch(new RegExp(`--symbols '${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}': (not valid JSON|must be a JSON object|'.*' is not a symbol the suite reads|the value of '.*' must be a string|.* -> '.*': the image has no symbol|.* and .* both name)`));
      }
    }), { numRuns: 150 });
  });
});

describe('replay tokens', () => {
  const image = { name: HYPERVISOR, digest: imageDigest(HYPERVISOR_BASE.bytes) };
  // made for another digest, so that a mutation that leaves the token valid is refused as the
  // token of another image instead of booting
  const good: ReplayCase = { v: 1, property: 'kmem-commands', image: { ...image, digest: '0'.repeat(16) }, platform: DEFAULT_PLATFORM_SPEC, program: [], schedule: [{ hart: 0, steps: 10 }], seed: 1, path: '0:1' };
  const deflated = (text: string) => TOKEN_PREFIX + deflateRawSync(Buffer.from(text)).toString('base64url');
  const body = encodeToken(good).slice(TOKEN_PREFIX.length);
  const fieldValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('0x1n', '0xffffffffffffffffn', null), fc.constant(undefined));
  /** Broken tokens, each with the problem the refusal must name. */
  const broken: fc.Arbitrary<{ what: string; token: string; problem: RegExp }> = fc.oneof(
    fc.record({ at: fc.nat(body.length - 1), to: fc.constantFrom(...'ABCxyz019-_') }).map(({ at, to }) => ({ what: `character ${at} -> ${to}`, token: TOKEN_PREFIX + body.slice(0, at) + to + body.slice(at + 1), problem: /replay token|the token is for/ })),
    fc.nat(body.length - 1).map((n) => ({ what: `cut to ${n} characters`, token: TOKEN_PREFIX + body.slice(0, n), problem: /replay token: (corrupt|the part after)|replay token must start/ })),
    fc.constantFrom('hv2.', 'hv1', 'HV1.', '').map((prefix) => ({ what: `prefix ${prefix}`, token: prefix + body, problem: /replay token must start with hv1\./ })),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => ({ what: 'base64url of random bytes', token: TOKEN_PREFIX + Buffer.from(b).toString('base64url'), problem: /replay token: corrupt/ })),
    fc.string({ minLength: 1, maxLength: 40 }).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }).map((s) => ({ what: `deflated non-JSON ${JSON.stringify(s)}`, token: deflated(s), problem: /replay token: corrupt \(not JSON inside\)/ })),
    fc.constant({ what: 'a deflate bomb (64 MiB of zeros)', token: TOKEN_PREFIX + deflateRawSync(Buffer.alloc(64 << 20)).toString('base64url'), problem: /replay token: corrupt \(decompresses to more than 1048576 bytes\)/ }),
    fc.jsonValue({ maxDepth: 2 }).map((v) => ({ what: `deflated JSON ${JSON.stringify(v).slice(0, 40)}`, token: deflated(JSON.stringify(v)), problem: /replay token: (content|v) / })),
    fc.record({ field: fc.constantFrom('v', 'property', 'image', 'platform', 'program', 'schedule', 'sp', 'hart', 'seed', 'path'), value: fieldValue }).map(({ field, value }) => ({
      what: `${field} = ${JSON.stringify(value)}`,
      token: deflated(JSON.stringify({ ...JSON.parse(JSON.stringify(good, (_, x: unknown) => (typeof x === 'bigint' ? `0x${x.toString(16)}n` : x))), [field]: value })),
      problem: new RegExp(`replay token: ${field} |the token is for`),
    })),
    // more RAM than the suite generates (16 GiB, the design's most): booting it would cost its size in host memory
    fc.constantFrom(16n << 30n | 4096n, 32n << 30n, 1n << 40n).map((ramSize) => ({ what: `RAM ${ramSize} bytes`, token: encodeToken({ ...good, platform: { ...good.platform, ramSize } }), problem: new RegExp(`replay token: platform is invalid: platform\\.ramSize = 0x${ramSize.toString(16)}: must be a multiple of 4 KiB from 16 MiB to 16 GiB`) })),
    fc.constantFrom('0'.repeat(16), 'ffffffffffffffff').map((digest) => ({ what: `for another image (${digest})`, token: encodeToken({ ...good, image: { name: HYPERVISOR, digest } }), problem: /the token is for .* \(sha256 [0-9a-f]{16}\), but .* has sha256 [0-9a-f]{16}/ })),
  );

  it('hvspec replay refuses a broken token, naming the problem', async () => {
    await fc.assert(fc.asyncProperty(broken, async ({ what, token, problem }) => {
      const end = await ending(replay, [token]);
      expect('usage' in end ? end.usage : `${what}: exit ${end.exit}`, what).toMatch(problem);
    }), { numRuns: 150 });
  });
});

describe('extreme option values', () => {
  it('hvspec check --mem 16M (the smallest RAM) generates platforms instead of crashing in the RAM-size generator', async () => {
    const io = capture();
    expect(await check(['--image', HYPERVISOR, '--only', 'boot', '--runs', '1', '--firmware', 'builtin', '--harts', '1', '--mem', '16M'])).toBe(0);
    expect(io.out()).toMatch(/^boot\s+1\s+passed/m);
  });
});

// ---------------------------------------------------------------------------------------------
// Image profiles (`--profile`): generated edits of the foreign-hv fixture's profile.

describe('image profiles', () => {
  const FIXTURE = 'test/fixtures/foreign-hv/build/foreign-hv.elf';
  const PROFILE = 'test/fixtures/foreign-hv/foreign-hv.json';
  const good = JSON.parse(readFileSync(PROFILE, 'utf8')) as Record<string, unknown>;
  /** Paths into the profile (dot-separated), each a field the generators replace, drop or add next to. */
  const paths = ['version', 'boot.firmware', 'boot.done', 'console', 'allocator.alloc', 'allocator.returns', 'allocator.badFree', 'allocator.freeListHead', 'allocator.nextOffset', 'allocator.zeroes', 'panic.functions', 'layout.loadOffset', 'layout.text.start', 'layout.cpuStruct.guard', 'layout.cpuStruct.stack.size', 'layout.accessedDirty', 'layout.devices', 'rules.claims', 'rules.waived', 'platforms.harts.max', 'platforms.ramSize.min', 'platforms.bootHart'];
  const edited = (path: string, edit: 'replace' | 'drop' | 'add', value: unknown): Record<string, unknown> => {
    const copy = structuredClone(good);
    const keys = path.split('.');
    const parent = keys.slice(0, -1).reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, copy);
    const last = keys[keys.length - 1]!;
    if (edit === 'replace') parent[last] = value;
    else if (edit === 'drop') delete parent[last];
    else parent[`${last}Extra`] = value;
    return copy;
  };
  const wrongValue = fc.oneof(fc.constantFrom(-1, 0.5, 'x', '', null, true, [], {}, '0x', '16 TiB', 'kmem+', 'STACK-GUARD', ['NOT-A-RULE'], 2 ** 60), fc.jsonValue({ maxDepth: 1 }));
  const content = fc.oneof(
    fc.tuple(fc.constantFrom(...paths), fc.constantFrom('replace', 'drop', 'add') as fc.Arbitrary<'replace' | 'drop' | 'add'>, wrongValue).map(([p, e, v]) => ({ text: JSON.stringify(edited(p, e, v)), field: e === 'add' ? `${p}Extra` : p })),
    fc.nat(JSON.stringify(good).length - 1).map((n) => ({ text: JSON.stringify(good).slice(0, n), field: '(file)' })),
    fc.string({ maxLength: 30 }).map((text) => ({ text, field: '(file)' })),
  );

  it('the fixture profile loads, and the fixture passes the image contract with it (and fails it without)', () => {
    expect(loadUserImage('check', '--image', FIXTURE, undefined, PROFILE).profile.allocator.alloc).toBe('kmalloc');
    expect(() => loadUserImage('check', '--image', FIXTURE)).toThrow(/loads at 0x80100000, not RAM base \+ 2 MiB/);
  });

  it('hvspec check refuses a broken profile with exit 2, naming the file, the field and the value', async () => {
    await fc.assert(fc.asyncProperty(content, async ({ text, field }) => {
      const file = join(dir, `profile-${fileCount++}.json`);
      writeFileSync(file, text);
      let parsedOk = true;
      try {
        loadUserImage('check', '--image', FIXTURE, undefined, file);
      } catch (e) {
        parsedOk = false;
        if (!(e instanceof UsageError)) throw e;
        const quoted = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        expect(e.message).toMatch(new RegExp(`^check: --profile profile ${quoted}: `));
        // the field named is the one edited, or (an edit another field's check catches first) one of its neighbours
        if (field === '(file)') expect(e.message).toMatch(/not valid JSON|must be an object|is required|\(file\)/);
        else expect(e.message).toMatch(/: [a-zA-Z.[\]0-9]+( = .+)?: /);
      }
      // a valid edit (e.g. 1 replaced by another allowed value) loads: its run is not what is tested here
      if (parsedOk) expect(text.length).toBeGreaterThan(0);
    }), { numRuns: 200 });
  });

  it('names the exact field and value for each kind of mistake', () => {
    const refused = (profile: unknown): string => {
      const file = join(dir, `profile-${fileCount++}.json`);
      writeFileSync(file, typeof profile === 'string' ? profile : JSON.stringify(profile));
      try {
        loadUserImage('check', '--image', FIXTURE, undefined, file);
      } catch (e) {
        if (e instanceof UsageError) return e.message.replace(file, 'FILE');
        throw e;
      }
      throw new Error('accepted');
    };
    expect(refused('{"version": 1,')).toMatch(/^check: --profile profile FILE: \(file\): not valid JSON/);
    expect(refused(edited('allocator.alloc', 'add', 1))).toBe("check: --profile profile FILE: allocator.allocExtra = 1: unknown field (known: alloc, free, returns, badFree, freeListHead, nextOffset, order, zeroes, counter, frameStates, init)");
    expect(refused(edited('allocator.nextOffset', 'replace', 'eight'))).toMatch(/allocator\.nextOffset = "eight": must be a non-negative integer/);
    expect(refused(edited('layout.accessedDirty', 'replace', 'sometimes'))).toMatch(/layout\.accessedDirty = "sometimes": must be one of "preset", "hardware"/);
    expect(refused(edited('rules.waived', 'replace', [{ rule: 'MAP-NOTHING', reason: 'x' }]))).toMatch(/rules\.waived\[0\]\.rule = "MAP-NOTHING": not a rule of SPEC\.md/);
    expect(refused(edited('rules.waived', 'replace', []))).toMatch(/allocator\.zeroes = false: alloc does not clear frames, so KMEM-ZEROED cannot hold: waive it/);
    expect(refused(edited('layout.cpuStruct.guard', 'replace', { offset: 0x3000, size: 0x1000 }))).toBe('check: --profile profile FILE: layout.cpuStruct.stack = {"offset":8192,"size":16384}: overlaps layout.cpuStruct.guard');
    expect(refused(edited('layout.cpuStruct.guard', 'replace', { offset: 0x7000, size: 0x1000 }))).toMatch(/layout\.cpuStruct\.guard = .*must end where the stack starts/);
    expect(refused(edited('platforms.reason', 'drop', 0))).toMatch(/platforms\.reason = missing: is required: the claim is narrower than the design's/);
    expect(refused(edited('version', 'replace', 2))).toMatch(/version = 2: must be 1/);
    expect(refused(edited('layout.largestLeaf', 'replace', '1 MiB'))).toBe('check: --profile profile FILE: layout.largestLeaf = "1 MiB": must be a leaf size: "1 GiB", "2 MiB" or "4 KiB"');
  });
});
