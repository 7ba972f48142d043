/**
 * The console-script runner itself, on a scripted fake console: placeholders are filled and escaped,
 * named groups become variables, and any difference (wrong line, failed check, silence) fails.
 */
import { describe, expect, it } from 'vitest';
import { fill, runScript, ScriptMismatch, type ConsoleStep, type ConsoleTransport } from './console-script.js';

/** Answers each sent line with the replies the table gives (unknown lines get none). */
function fake(replies: Record<string, string[]>): ConsoleTransport & { sent: string[] } {
  const pending: string[] = [];
  const sent: string[] = [];
  return {
    sent,
    sendLine(line) {
      sent.push(line);
      pending.push(...(replies[line] ?? []));
    },
    async nextReply(timeoutMs) {
      const line = pending.shift();
      if (line === undefined) throw new Error(`no reply within ${timeoutMs} ms`);
      return line;
    },
  };
}

describe('console scripts', () => {
  it('fills placeholders, escaping them for patterns only', () => {
    expect(fill('read {h} {va}', { h: '1', va: '0x10' }, false)).toBe('read 1 0x10');
    expect(fill('^a={x}$', { x: '1.5+' }, true)).toBe('^a=1\\.5\\+$');
    expect(fill('^[0-9]{3}$', {}, true)).toBe('^[0-9]{3}$');
    expect(() => fill('{missing}', {}, false)).toThrow(/missing/);
  });

  it('captures named groups and derives values for later steps', async () => {
    const console = fake({ 'alloc 0': ['OK alloc hart=0 va=0x2000'], 'free 0 0x2000': ['OK free hart=0 va=0x2000 verdict=Ok'] });
    const steps: ConsoleStep[] = [
      { why: 'alloc', send: 'alloc {h}', expect: ['^OK alloc hart={h} va=(?<va>0x[0-9a-f]+)$'] },
      { why: 'free', derive: (v) => ({ again: v.va! }), send: 'free {h} {again}', expect: ['^OK free hart={h} va={va} verdict=Ok$'] },
    ];
    const { vars, transcript } = await runScript(console, steps, { h: '0' });
    expect(vars.va).toBe('0x2000');
    expect(console.sent).toEqual(['alloc 0', 'free 0 0x2000']);
    expect(transcript).toEqual(['> alloc 0', '< OK alloc hart=0 va=0x2000', '> free 0 0x2000', '< OK free hart=0 va=0x2000 verdict=Ok']);
  });

  it('fails on a different reply, a failed check, and silence', async () => {
    const console = fake({ stat: ['OK stat hart=0 nfree=5'] });
    await expect(runScript(console, [{ why: 'count', send: 'stat', expect: ['^OK stat hart=0 nfree=6$'] }], {})).rejects.toThrow(ScriptMismatch);
    await expect(
      runScript(console, [{ why: 'check', send: 'stat', expect: ['^OK stat hart=0 nfree=(?<n>\\d+)$'], check: (v) => (v.n === '6' ? undefined : `n is ${v.n}`) }], {}),
    ).rejects.toThrow(/n is 5/);
    await expect(runScript(console, [{ why: 'silent', send: 'nothing', expect: ['^OK'] }], {})).rejects.toThrow(/no reply/);
  });
});
