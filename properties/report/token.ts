/**
 * Replay tokens: one line that re-runs a counterexample exactly (`hvspec replay <token>`).
 *
 * Format: `hv1.` followed by the base64url (RFC 4648 §5, no padding) of the raw-DEFLATE (RFC 1951)
 * compression of a UTF-8 JSON object, the ReplayCase below. JSON has no bigint: a bigint is written
 * as the string "0x<hex>n". Fields:
 *   v         1 (the format version; a later format gets a new prefix and version)
 *   property  which property failed (PROPERTY_NAMES)
 *   image     { name, digest }: the image's name and the first 16 hex digits of its SHA-256; replaying
 *             against an image with another digest is refused, naming both
 *   platform  PlatformSpec { harts, bootHart, ramSize (at most MAX_GENERATED_RAM,
 *             16 GiB, what the suite generates: checkPlatformSpec refuses more), firmware, ad }
 *   program   the console command program as data (positions, see arbitraries/program.ts), optional
 *   schedule  hart slices [{ hart, steps }], optional
 *   sp        stack-overflow-sp and call-driven stack-overflow: bytes above the stack's bottom that
 *             sp is moved to (or a call starts with), optional
 *   hart      the same two: the hart whose sp is moved, optional (default 0)
 *   guest     guest only: the VM lifecycle as data (positions, see arbitraries/guest.ts), optional
 *   seed, path  fast-check's seed and shrink path of the run that found it, optional (informative:
 *             the token alone replays the shrunk case without fast-check)
 * Decoding checks every field and throws a RangeError naming the first bad one.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { checkGuestLifecycle, type GuestStep } from '../arbitraries/guest.js';
import { checkPlatformSpec, type PlatformSpec } from '../arbitraries/platform.js';
import { checkProgram, type ConsoleCommand } from '../arbitraries/program.js';
import { checkSchedule, type ScheduleSlice } from '../arbitraries/schedule.js';

export const TOKEN_PREFIX = 'hv1.';

export const PROPERTY_NAMES = ['boot', 'kmem-commands', 'kmem-concurrent', 'stack-overflow', 'stack-overflow-sp', 'tlb-discipline', 'guest'] as const;
export type PropertyName = (typeof PROPERTY_NAMES)[number];

export interface ReplayCase {
  readonly v: 1;
  readonly property: PropertyName;
  readonly image: { readonly name: string; readonly digest: string };
  readonly platform: PlatformSpec;
  readonly program?: readonly ConsoleCommand[];
  readonly schedule?: readonly ScheduleSlice[];
  /** stack-overflow-sp and call-driven stack-overflow: bytes above the stack's bottom that sp is moved to (or a call starts with). */
  readonly sp?: number;
  /** stack-overflow-sp and call-driven stack-overflow: the hart whose sp is moved. */
  readonly hart?: number;
  /** guest: the VM lifecycle. */
  readonly guest?: readonly GuestStep[];
  readonly seed?: number;
  readonly path?: string;
}

const BIGINT = /^0x[0-9a-f]+n$/;
/** A token inflates to a few KiB; a larger output is refused before it is built (a deflate bomb would take all memory). */
const MAX_JSON_BYTES = 1 << 20;

/** A decoded value for a message: JSON, with a bigint as the token writes it ("0x..n"). */
const show = (value: unknown): string => JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}n` : v)) ?? String(value);

export function encodeToken(replay: ReplayCase): string {
  const json = JSON.stringify(replay, (_, value: unknown) => (typeof value === 'bigint' ? `0x${value.toString(16)}n` : value));
  return TOKEN_PREFIX + deflateRawSync(Buffer.from(json, 'utf8'), { level: 9 }).toString('base64url');
}

export class TokenError extends RangeError {
  override readonly name = 'TokenError';
}

export function decodeToken(token: string): ReplayCase {
  const text = token.trim();
  if (!text.startsWith(TOKEN_PREFIX)) throw new TokenError(`replay token must start with ${TOKEN_PREFIX} (got ${JSON.stringify(text.slice(0, 12))})`);
  const body = text.slice(TOKEN_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) throw new TokenError('replay token: the part after the prefix is not base64url');
  let json: string;
  try {
    json = inflateRawSync(Buffer.from(body, 'base64url'), { maxOutputLength: MAX_JSON_BYTES }).toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new TokenError(`replay token: corrupt (decompresses to more than ${MAX_JSON_BYTES} bytes)`);
    throw new TokenError('replay token: corrupt (does not decompress); was it cut short when copied?');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json, (_, value: unknown) => (typeof value === 'string' && BIGINT.test(value) ? BigInt(value.slice(0, -1)) : value));
  } catch {
    throw new TokenError('replay token: corrupt (not JSON inside)');
  }
  return checkReplayCase(raw);
}

function checkReplayCase(raw: unknown): ReplayCase {
  const fail = (field: string, why: string): never => {
    throw new TokenError(`replay token: ${field} ${why}`);
  };
  if (typeof raw !== 'object' || raw === null) return fail('content', 'is not an object');
  const r = raw as Record<string, unknown>;
  if (r.v !== 1) fail('v', `= ${show(r.v)}: only version 1 is known`);
  if (!PROPERTY_NAMES.includes(r.property as PropertyName)) fail('property', `= ${show(r.property)}: must be one of ${PROPERTY_NAMES.join(', ')}`);
  const image = r.image as Record<string, unknown> | undefined;
  if (typeof image?.name !== 'string' || typeof image.digest !== 'string' || !/^[0-9a-f]{16}$/.test(image.digest)) fail('image', 'must be { name, digest: 16 hex digits }');
  const wrap = <T>(field: string, check: () => T): T => {
    try {
      return check();
    } catch (e) {
      return fail(field, `is invalid: ${(e as Error).message}`);
    }
  };
  const platform = wrap('platform', () => checkPlatformSpec(r.platform));
  const program = r.program === undefined ? undefined : wrap('program', () => checkProgram(r.program));
  const schedule = r.schedule === undefined ? undefined : wrap('schedule', () => checkSchedule(r.schedule, platform.harts));
  if (r.sp !== undefined && (!Number.isInteger(r.sp) || (r.sp as number) < 0 || (r.sp as number) > 0x4000)) fail('sp', `= ${show(r.sp)}: must be an integer from 0 to 16384`);
  if (r.hart !== undefined && (!Number.isInteger(r.hart) || (r.hart as number) < 0 || (r.hart as number) >= platform.harts)) fail('hart', `= ${show(r.hart)}: must be a hart of the platform, 0 to ${platform.harts - 1}`);
  const guest = r.guest === undefined ? undefined : wrap('guest', () => checkGuestLifecycle(r.guest));
  if (r.seed !== undefined && !Number.isSafeInteger(r.seed)) fail('seed', `= ${show(r.seed)}: must be an integer`);
  if (r.path !== undefined && (typeof r.path !== 'string' || !/^[0-9:]*$/.test(r.path))) fail('path', `= ${show(r.path)}: must look like 3:0:1`);
  return {
    v: 1,
    property: r.property as PropertyName,
    image: { name: image!.name as string, digest: image!.digest as string },
    platform,
    ...(program ? { program } : {}),
    ...(schedule ? { schedule } : {}),
    ...(r.sp !== undefined ? { sp: r.sp as number } : {}),
    ...(r.hart !== undefined ? { hart: r.hart as number } : {}),
    ...(guest ? { guest } : {}),
    ...(r.seed !== undefined ? { seed: r.seed as number } : {}),
    ...(r.path !== undefined ? { path: r.path as string } : {}),
  };
}
