/**
 * Flattened devicetree (FDT, "DTB") blobs: a small tree builder, a writer and
 * a reader, per the Devicetree Specification v0.4 chapter 5 ("Flattened
 * Devicetree (DTB) Format").
 *
 * Blob layout written here (all integers big-endian):
 *
 * | offset            | block                     | contents                                              |
 * |-------------------|---------------------------|-------------------------------------------------------|
 * | 0                 | header (§5.2), 40 bytes   | magic, totalsize, off_dt_struct, off_dt_strings,      |
 * |                   |                           | off_mem_rsvmap, version 17, last_comp_version 16,     |
 * |                   |                           | boot_cpuid_phys, size_dt_strings, size_dt_struct      |
 * | 40 (8-aligned)    | memory reservation (§5.3) | {u64 address, u64 size}..., ended by {0, 0}           |
 * | then (4-aligned)  | structure block (§5.4)    | tokens: BEGIN_NODE name, PROP len nameoff value,      |
 * |                   |                           | END_NODE, NOP, END; each padded to 4 bytes            |
 * | then              | strings block (§5.5)      | NUL-terminated property names, each stored once       |
 */

export const FDT_MAGIC = 0xd00d_feed;
export const FDT_VERSION = 17;
export const FDT_LAST_COMPATIBLE_VERSION = 16;
const FDT_HEADER_SIZE = 40;

const FDT_BEGIN_NODE = 0x1;
const FDT_END_NODE = 0x2;
const FDT_PROP = 0x3;
const FDT_NOP = 0x4;
const FDT_END = 0x9;

export interface FdtProperty {
  readonly name: string;
  readonly value: Uint8Array;
}

export interface FdtNode {
  /** `node-name@unit-address`; the root's name is "". */
  readonly name: string;
  readonly properties: readonly FdtProperty[];
  readonly children: readonly FdtNode[];
}

/** An entry of the memory reservation block (§5.3): physical memory the OS must not use. */
export interface FdtReservation {
  readonly address: bigint;
  readonly size: bigint;
}

export interface Fdt {
  readonly root: FdtNode;
  readonly reservations: readonly FdtReservation[];
  /** Physical ID of the boot CPU (header field boot_cpuid_phys). */
  readonly bootCpuidPhys: number;
}

/** A malformed blob: `offset` is the byte where the problem was found. */
export class FdtError extends Error {
  constructor(
    readonly offset: number,
    readonly problem: string,
  ) {
    super(`FDT byte 0x${offset.toString(16)}: ${problem}`);
    this.name = 'FdtError';
  }
}

// ---------------------------------------------------------------- building

/** A node with its properties and children. */
export function fdtNode(name: string, properties: readonly FdtProperty[], children: readonly FdtNode[] = []): FdtNode {
  return { name, properties, children };
}

/** Property constructors for the value types of §2.2.4 (Table 2.3). */
export const prop = {
  /** `<empty>`: a boolean property such as `interrupt-controller`. */
  empty(name: string): FdtProperty {
    return { name, value: new Uint8Array(0) };
  },
  /** A `<prop-encoded-array>` of 32-bit cells (`<u32>` when one). */
  u32(name: string, ...cells: number[]): FdtProperty {
    const value = new Uint8Array(4 * cells.length);
    const view = new DataView(value.buffer);
    cells.forEach((cell, i) => {
      if (!Number.isInteger(cell) || cell < 0 || cell > 0xffff_ffff) {
        throw new RangeError(`property ${name}: cell ${i} = ${cell} is not a u32`);
      }
      view.setUint32(4 * i, cell);
    });
    return { name, value };
  },
  /** 64-bit values, each two cells, high cell first (`<u64>`; `reg` with #address-cells = #size-cells = 2). */
  u64(name: string, ...values: (number | bigint)[]): FdtProperty {
    const value = new Uint8Array(8 * values.length);
    const view = new DataView(value.buffer);
    values.forEach((v, i) => {
      const big = BigInt(v);
      if (big < 0n || big >= 1n << 64n) throw new RangeError(`property ${name}: value ${i} = ${v} is not a u64`);
      view.setBigUint64(8 * i, big);
    });
    return { name, value };
  },
  /** `<string>` or `<stringlist>`: each string NUL-terminated. */
  strings(name: string, ...strings: string[]): FdtProperty {
    const encoded = strings.map((s, i) => {
      if (s.includes('\0')) throw new RangeError(`property ${name}: string ${i} contains NUL`);
      return new TextEncoder().encode(`${s}\0`);
    });
    return { name, value: concat(encoded) };
  },
  /** Raw bytes. */
  bytes(name: string, bytes: Uint8Array): FdtProperty {
    return { name, value: bytes.slice() };
  },
};

// ---------------------------------------------------------------- reading values

/** The value as 32-bit cells; throws if its length is not a multiple of 4. */
export function propertyU32s(property: FdtProperty): number[] {
  if (property.value.length % 4 !== 0) {
    throw new RangeError(`property ${property.name}: ${property.value.length} bytes is not a whole number of cells`);
  }
  const view = new DataView(property.value.buffer, property.value.byteOffset, property.value.length);
  return Array.from({ length: property.value.length / 4 }, (_, i) => view.getUint32(4 * i));
}

/** The value as 64-bit numbers (pairs of cells); throws if its length is not a multiple of 8. */
export function propertyU64s(property: FdtProperty): bigint[] {
  if (property.value.length % 8 !== 0) {
    throw new RangeError(`property ${property.name}: ${property.value.length} bytes is not a whole number of u64s`);
  }
  const view = new DataView(property.value.buffer, property.value.byteOffset, property.value.length);
  return Array.from({ length: property.value.length / 8 }, (_, i) => view.getBigUint64(8 * i));
}

/** The value as a string list; throws if it is empty or not NUL-terminated. */
export function propertyStrings(property: FdtProperty): string[] {
  const { value } = property;
  if (value.length === 0 || value[value.length - 1] !== 0) {
    throw new RangeError(`property ${property.name}: not a NUL-terminated string list`);
  }
  return new TextDecoder().decode(value.subarray(0, value.length - 1)).split('\0');
}

export function findProperty(node: FdtNode, name: string): FdtProperty | undefined {
  return node.properties.find((p) => p.name === name);
}

/** The node at an absolute path such as `/soc/serial@10000000`, or undefined. */
export function findNode(root: FdtNode, path: string): FdtNode | undefined {
  if (!path.startsWith('/')) return undefined;
  let node: FdtNode | undefined = root;
  for (const part of path.split('/').filter((p) => p !== '')) {
    node = node.children.find((c) => c.name === part);
    if (node === undefined) return undefined;
  }
  return node;
}

/** Every node with its absolute path, parents before children, in blob order. */
export function* walkNodes(root: FdtNode, path = '/'): Generator<[string, FdtNode]> {
  yield [path, root];
  for (const child of root.children) yield* walkNodes(child, path === '/' ? `/${child.name}` : `${path}/${child.name}`);
}

// ---------------------------------------------------------------- names (§2.2.1, §2.2.4.1)

const NODE_NAME = /^[0-9a-zA-Z,._+-]{1,31}(@[0-9a-zA-Z,._+-]+)?$/;
const PROPERTY_NAME = /^[0-9a-zA-Z,._+?#-]{1,31}$/;

/** Why `name` is not a valid node name, or null if it is. */
export function nodeNameProblem(name: string): string | null {
  return NODE_NAME.test(name) ? null : `node name ${JSON.stringify(name)} is not node-name[@unit-address] (1-31 of [0-9a-zA-Z,._+-])`;
}

/** Why `name` is not a valid property name, or null if it is. */
export function propertyNameProblem(name: string): string | null {
  return PROPERTY_NAME.test(name) ? null : `property name ${JSON.stringify(name)} is not 1-31 of [0-9a-zA-Z,._+?#-]`;
}

// ---------------------------------------------------------------- writing

/**
 * Serialises a tree. Throws, naming the node's path, on an invalid or
 * duplicate node or property name, or a reservation outside 64 bits.
 */
export function writeFdt(fdt: { root: FdtNode; reservations?: readonly FdtReservation[]; bootCpuidPhys?: number }): Uint8Array {
  const reservations = fdt.reservations ?? [];
  const strings = new StringTable();
  const struct = new ByteWriter();
  emitNode(fdt.root, '/', true, struct, strings);
  struct.u32(FDT_END);

  const offMemRsvmap = FDT_HEADER_SIZE;
  const offDtStruct = offMemRsvmap + 16 * (reservations.length + 1);
  const structBytes = struct.bytes();
  const stringBytes = strings.bytes();
  const offDtStrings = offDtStruct + structBytes.length;
  const totalSize = offDtStrings + stringBytes.length;

  const blob = new Uint8Array(totalSize);
  const view = new DataView(blob.buffer);
  const header = [
    FDT_MAGIC,
    totalSize,
    offDtStruct,
    offDtStrings,
    offMemRsvmap,
    FDT_VERSION,
    FDT_LAST_COMPATIBLE_VERSION,
    fdt.bootCpuidPhys ?? 0,
    stringBytes.length,
    structBytes.length,
  ];
  header.forEach((field, i) => view.setUint32(4 * i, field));
  reservations.forEach((r, i) => {
    if (r.address < 0n || r.address >= 1n << 64n || r.size < 0n || r.size >= 1n << 64n) {
      throw new RangeError(`reservation ${i} (${r.address}, ${r.size}) does not fit 64 bits`);
    }
    view.setBigUint64(offMemRsvmap + 16 * i, r.address);
    view.setBigUint64(offMemRsvmap + 16 * i + 8, r.size);
  });
  blob.set(structBytes, offDtStruct);
  blob.set(stringBytes, offDtStrings);
  return blob;
}

function emitNode(node: FdtNode, path: string, isRoot: boolean, out: ByteWriter, strings: StringTable): void {
  if (isRoot ? node.name !== '' : nodeNameProblem(node.name) !== null) {
    throw new RangeError(`${path}: ${isRoot ? 'the root node must be named ""' : nodeNameProblem(node.name)}`);
  }
  out.u32(FDT_BEGIN_NODE);
  out.bytesPadded(new TextEncoder().encode(`${node.name}\0`));
  const seenProperties = new Set<string>();
  for (const property of node.properties) {
    const problem = propertyNameProblem(property.name);
    if (problem !== null) throw new RangeError(`${path}: ${problem}`);
    if (seenProperties.has(property.name)) throw new RangeError(`${path}: duplicate property ${property.name}`);
    seenProperties.add(property.name);
    out.u32(FDT_PROP);
    out.u32(property.value.length);
    out.u32(strings.offsetOf(property.name));
    out.bytesPadded(property.value);
  }
  const seenChildren = new Set<string>();
  for (const child of node.children) {
    const childPath = path === '/' ? `/${child.name}` : `${path}/${child.name}`;
    if (seenChildren.has(child.name)) throw new RangeError(`${childPath}: duplicate node`);
    seenChildren.add(child.name);
    emitNode(child, childPath, false, out, strings);
  }
  out.u32(FDT_END_NODE);
}

class StringTable {
  readonly #offsets = new Map<string, number>();
  readonly #parts: Uint8Array[] = [];
  #size = 0;

  offsetOf(name: string): number {
    let offset = this.#offsets.get(name);
    if (offset === undefined) {
      offset = this.#size;
      const encoded = new TextEncoder().encode(`${name}\0`);
      this.#parts.push(encoded);
      this.#size += encoded.length;
      this.#offsets.set(name, offset);
    }
    return offset;
  }

  bytes(): Uint8Array {
    return concat(this.#parts);
  }
}

class ByteWriter {
  readonly #parts: Uint8Array[] = [];

  u32(value: number): void {
    const word = new Uint8Array(4);
    new DataView(word.buffer).setUint32(0, value);
    this.#parts.push(word);
  }

  /** Appends `bytes` and zero padding up to the next multiple of 4. */
  bytesPadded(bytes: Uint8Array): void {
    this.#parts.push(bytes);
    const pad = (4 - (bytes.length % 4)) % 4;
    if (pad !== 0) this.#parts.push(new Uint8Array(pad));
  }

  bytes(): Uint8Array {
    return concat(this.#parts);
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

// ---------------------------------------------------------------- reading

/**
 * Parses a blob. Accepts version >= 16 whose last_comp_version is <= 17.
 * Throws FdtError naming the byte offset and the problem: bad magic or
 * version, a block outside totalsize, an unknown token, a name or value
 * running past its block, a property after a child node, a duplicate name,
 * unbalanced nodes, or anything after FDT_END other than nothing.
 */
export function readFdt(blob: Uint8Array): Fdt {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  if (blob.length < FDT_HEADER_SIZE) throw new FdtError(0, `blob is ${blob.length} bytes, shorter than the 40-byte header`);
  const field = (index: number): number => view.getUint32(4 * index);
  const magic = field(0);
  if (magic !== FDT_MAGIC) throw new FdtError(0, `magic is 0x${magic.toString(16)}, expected 0xd00dfeed`);
  const totalSize = field(1);
  if (totalSize > blob.length) throw new FdtError(4, `totalsize ${totalSize} exceeds the ${blob.length}-byte blob`);
  if (totalSize < FDT_HEADER_SIZE) throw new FdtError(4, `totalsize ${totalSize} is smaller than the header`);
  const version = field(5);
  const lastCompatible = field(6);
  if (version < 16) throw new FdtError(20, `version ${version} is older than 16`);
  if (lastCompatible > FDT_VERSION) throw new FdtError(24, `last_comp_version ${lastCompatible} is newer than 17`);
  const offStruct = field(2);
  const offStrings = field(3);
  const offRsvmap = field(4);
  const sizeStrings = field(8);
  const sizeStruct = version >= 17 ? field(9) : totalSize - offStruct;
  const within = (name: string, headerOffset: number, start: number, size: number): void => {
    if (start < FDT_HEADER_SIZE || start > totalSize || size > totalSize - start) {
      throw new FdtError(headerOffset, `${name} [0x${start.toString(16)}, +0x${size.toString(16)}) lies outside the header..totalsize`);
    }
  };
  within('structure block', 8, offStruct, sizeStruct);
  within('strings block', 12, offStrings, sizeStrings);
  within('memory reservation block', 16, offRsvmap, 0);
  if (offStruct % 4 !== 0) throw new FdtError(8, `structure block offset 0x${offStruct.toString(16)} is not 4-byte aligned`);
  if (offRsvmap % 8 !== 0) throw new FdtError(16, `memory reservation block offset 0x${offRsvmap.toString(16)} is not 8-byte aligned`);

  const reservations: FdtReservation[] = [];
  for (let at = offRsvmap; ; at += 16) {
    if (at + 16 > totalSize) throw new FdtError(at, 'memory reservation block has no {0, 0} terminator before totalsize');
    const address = view.getBigUint64(at);
    const size = view.getBigUint64(at + 8);
    if (address === 0n && size === 0n) break;
    reservations.push({ address, size });
  }

  const stringAt = (nameOffset: number, tokenOffset: number): string => {
    if (nameOffset >= sizeStrings) {
      throw new FdtError(tokenOffset, `property name offset ${nameOffset} is outside the ${sizeStrings}-byte strings block`);
    }
    const start = offStrings + nameOffset;
    const end = blob.indexOf(0, start);
    if (end === -1 || end >= offStrings + sizeStrings) {
      throw new FdtError(tokenOffset, `property name at strings offset ${nameOffset} is not NUL-terminated inside the strings block`);
    }
    return new TextDecoder().decode(blob.subarray(start, end));
  };

  const structEnd = offStruct + sizeStruct;
  let at = offStruct;
  const need = (bytes: number, what: string): void => {
    if (at + bytes > structEnd) throw new FdtError(at, `${what} runs past the end of the structure block`);
  };
  const token = (): number => {
    need(4, 'token');
    const t = view.getUint32(at);
    at += 4;
    return t;
  };
  const skipNops = (): number => {
    for (;;) {
      const start = at;
      const t = token();
      if (t !== FDT_NOP) {
        at = start;
        return t;
      }
    }
  };

  interface Building {
    name: string;
    properties: FdtProperty[];
    children: FdtNode[];
    start: number;
  }
  const readNodeName = (tokenOffset: number): string => {
    const end = blob.indexOf(0, at);
    if (end === -1 || end >= structEnd) throw new FdtError(tokenOffset, 'node name is not NUL-terminated inside the structure block');
    const name = new TextDecoder().decode(blob.subarray(at, end));
    at = align4(end + 1);
    return name;
  };

  const first = skipNops();
  if (first !== FDT_BEGIN_NODE) throw new FdtError(at, `structure block starts with token 0x${first.toString(16)}, expected FDT_BEGIN_NODE`);
  at += 4;
  const rootName = readNodeName(at - 4);
  if (rootName !== '') throw new FdtError(at, `root node is named ${JSON.stringify(rootName)}, expected ""`);
  const stack: Building[] = [{ name: '', properties: [], children: [], start: offStruct }];
  let root: FdtNode | undefined;
  while (root === undefined) {
    const tokenOffset = at;
    const t = token();
    const current = stack[stack.length - 1]!;
    switch (t) {
      case FDT_NOP:
        break;
      case FDT_PROP: {
        need(8, 'property header');
        const length = view.getUint32(at);
        const nameOffset = view.getUint32(at + 4);
        at += 8;
        need(length, `property value of ${length} bytes`);
        const name = stringAt(nameOffset, tokenOffset);
        if (current.children.length > 0) throw new FdtError(tokenOffset, `property ${name} follows a child node`);
        if (current.properties.some((p) => p.name === name)) throw new FdtError(tokenOffset, `duplicate property ${name}`);
        current.properties.push({ name, value: new Uint8Array(blob.subarray(at, at + length)) });
        at = align4(at + length);
        break;
      }
      case FDT_BEGIN_NODE: {
        const name = readNodeName(tokenOffset);
        const problem = nodeNameProblem(name);
        if (problem !== null) throw new FdtError(tokenOffset, problem);
        stack.push({ name, properties: [], children: [], start: tokenOffset });
        break;
      }
      case FDT_END_NODE: {
        stack.pop();
        const done: FdtNode = { name: current.name, properties: current.properties, children: current.children };
        const parent = stack[stack.length - 1];
        if (parent === undefined) {
          root = done;
        } else {
          if (parent.children.some((c) => c.name === done.name)) throw new FdtError(current.start, `duplicate node ${done.name}`);
          parent.children.push(done);
        }
        break;
      }
      case FDT_END:
        throw new FdtError(tokenOffset, `FDT_END inside node ${JSON.stringify(current.name)}: unbalanced FDT_BEGIN_NODE`);
      default:
        throw new FdtError(tokenOffset, `unknown token 0x${t.toString(16)}`);
    }
  }
  const endOffset = at;
  const last = skipNops();
  if (last !== FDT_END) throw new FdtError(endOffset, `token 0x${last.toString(16)} after the root node, expected FDT_END`);
  at += 4;
  if (version >= 17 && at !== structEnd) throw new FdtError(at, `${structEnd - at} bytes follow FDT_END inside the structure block`);
  return { root, reservations, bootCpuidPhys: field(7) };
}

function align4(n: number): number {
  return n + ((4 - (n % 4)) % 4);
}
