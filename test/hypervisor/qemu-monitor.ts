/**
 * A client for QEMU's human monitor on a Unix socket (`-monitor unix:<path>,server=on,wait=off`),
 * used to read each hart's page table as QEMU's own MMU code sees it (`info mem`).
 */
import { createConnection, type Socket } from 'node:net';

export class QemuMonitor {
  private buffer = '';
  private wake: (() => void) | undefined;
  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      this.wake?.();
    });
  }

  /** Connects, retrying until QEMU has created the socket. */
  static async connect(path: string, timeoutMs = 10_000): Promise<QemuMonitor> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = createConnection(path, () => resolve(s));
          s.once('error', reject);
        });
        const monitor = new QemuMonitor(socket);
        await monitor.prompt(timeoutMs);
        return monitor;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`QEMU monitor at ${path}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Runs one command; returns its output lines (the echo and prompt removed). */
  async command(line: string, timeoutMs = 10_000): Promise<string[]> {
    this.buffer = '';
    this.socket.write(line + '\n');
    const output = await this.prompt(timeoutMs);
    return output.split(/\r?\n/).slice(1); // first line: the echoed command
  }

  private async prompt(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.buffer.indexOf('(qemu) ');
      if (at >= 0) {
        const out = this.buffer.slice(0, at);
        this.buffer = this.buffer.slice(at + 7);
        return out.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no monitor prompt within ${timeoutMs} ms; got: ${JSON.stringify(this.buffer.slice(-300))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One row of `info mem` (Sv39): a run of equal-attribute, PA-contiguous pages. */
export interface MemRow {
  readonly va: bigint;
  readonly pa: bigint;
  readonly size: bigint;
  /** QEMU's attribute string: r w x u g a d, '-' where clear. */
  readonly attrs: string;
}

export function parseInfoMem(lines: readonly string[]): MemRow[] {
  const rows: MemRow[] = [];
  for (const line of lines) {
    const m = /^([0-9a-f]{16}) ([0-9a-f]{16}) ([0-9a-f]{16}) ([rwxugad-]{7})\s*$/.exec(line.trim());
    if (m) rows.push({ va: BigInt(`0x${m[1]}`), pa: BigInt(`0x${m[2]}`), size: BigInt(`0x${m[3]}`), attrs: m[4]! });
  }
  return rows;
}

/** Joins rows that continue each other in VA and PA with equal attributes (`info mem` splits runs where the page size changes). */
export function mergeRows(rows: readonly MemRow[]): MemRow[] {
  const out: MemRow[] = [];
  for (const r of [...rows].sort((a, b) => (a.va < b.va ? -1 : a.va > b.va ? 1 : 0))) {
    const last = out.at(-1);
    if (last && last.va + last.size === r.va && last.pa + last.size === r.pa && last.attrs === r.attrs) {
      out[out.length - 1] = { ...last, size: last.size + r.size };
    } else {
      out.push(r);
    }
  }
  return out;
}
