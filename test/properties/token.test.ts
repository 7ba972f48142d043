import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { platformSpecArbitrary } from '../../properties/arbitraries/platform.js';
import { programArbitrary } from '../../properties/arbitraries/program.js';
import { scheduleArbitrary } from '../../properties/arbitraries/schedule.js';
import { decodeToken, encodeToken, PROPERTY_NAMES, TOKEN_PREFIX, type ReplayCase } from '../../properties/report/token.js';

const replayCase: fc.Arbitrary<ReplayCase> = platformSpecArbitrary().chain((platform) =>
  fc.record(
    {
      v: fc.constant(1 as const),
      property: fc.constantFrom(...PROPERTY_NAMES),
      image: fc.record({ name: fc.string(), digest: fc.stringMatching(/^[0-9a-f]{16}$/) }),
      platform: fc.constant(platform),
      program: programArbitrary(),
      schedule: scheduleArbitrary(platform.harts),
      sp: fc.integer({ min: 0, max: 64 }),
      hart: fc.nat({ max: platform.harts - 1 }),
      seed: fc.integer(),
      path: fc.array(fc.nat({ max: 99 }), { maxLength: 6 }).map((p) => p.join(':')),
    },
    { requiredKeys: ['v', 'property', 'image', 'platform'] },
  ),
);

describe('replay tokens', () => {
  it('decode(encode(case)) is the case, and the token is one printable line', () => {
    fc.assert(fc.property(replayCase, (c) => {
      const token = encodeToken(c);
      expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
      expect(token).toMatch(/^hv1\.[A-Za-z0-9_-]+$/);
      expect(decodeToken(token)).toEqual(c);
    }));
  });

  it('stays short for a typical shrunk counterexample', () => {
    const token = encodeToken({ v: 1, property: 'kmem-commands', image: { name: 'hypervisor/build/hypervisor.elf', digest: '0123456789abcdef' }, platform: { harts: 2, bootHart: 1, ramSize: 16n << 20n, firmware: 'builtin', ad: 'hardware' }, program: [{ kind: 'alloc', hart: 0 }, { kind: 'double-free', hart: 1, frame: 0 }] });
    expect(token.length).toBeLessThan(320);
  });

  it('rejects damaged tokens with a reason', () => {
    const good = encodeToken({ v: 1, property: 'boot', image: { name: 'x', digest: '0123456789abcdef' }, platform: { harts: 1, bootHart: 0, ramSize: 16n << 20n, firmware: 'builtin', ad: 'hardware' } });
    expect(() => decodeToken('hv2.abc')).toThrow(/must start with hv1\./);
    expect(() => decodeToken(good.slice(0, 20))).toThrow(/corrupt/);
    expect(() => decodeToken('hv1.a+b')).toThrow(/base64url/);
    const bad = (content: object): string => TOKEN_PREFIX + Buffer.from(JSON.stringify(content)).toString('base64url');
    expect(() => decodeToken(bad({}))).toThrow(/corrupt|v /);
  });

  it('names the bad field of a well-formed token with bad content', async () => {
    const { deflateRawSync } = await import('node:zlib');
    const token = (content: object): string => TOKEN_PREFIX + deflateRawSync(Buffer.from(JSON.stringify(content))).toString('base64url');
    const base = { v: 1, property: 'boot', image: { name: 'x', digest: '0123456789abcdef' }, platform: { harts: 1, bootHart: 0, ramSize: '0x1000000n', firmware: 'builtin', ad: 'hardware' } };
    expect(decodeToken(token(base)).platform.ramSize).toBe(16n << 20n);
    // the whole range the suite generates, 16 MiB to 16 GiB, and not a page more
    expect(decodeToken(token({ ...base, platform: { ...base.platform, ramSize: '0x400000000n' } })).platform.ramSize).toBe(16n << 30n);
    expect(() => decodeToken(token({ ...base, platform: { ...base.platform, ramSize: '0x400001000n' } }))).toThrow(/platform\.ramSize = 0x400001000: must be a multiple of 4 KiB from 16 MiB to 16 GiB/);
    expect(() => decodeToken(token({ ...base, v: 2 }))).toThrow(/v = 2/);
    expect(() => decodeToken(token({ ...base, property: 'nope' }))).toThrow(/property = "nope"/);
    expect(() => decodeToken(token({ ...base, platform: { ...base.platform, harts: 0 } }))).toThrow(/platform is invalid: platform\.harts = 0/);
    expect(() => decodeToken(token({ ...base, schedule: [{ hart: 3, steps: 1 }] }))).toThrow(/schedule is invalid/);
    expect(() => decodeToken(token({ ...base, image: { name: 'x', digest: 'xyz' } }))).toThrow(/image must be/);
    expect(() => decodeToken(token({ ...base, hart: 1 }))).toThrow(/hart = 1: must be a hart of the platform, 0 to 0/);
  });
});
