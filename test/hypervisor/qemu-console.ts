/**
 * Boots a hypervisor image on qemu-system-riscv64 (virt board, QEMU's default OpenSBI) and offers
 * its UART as a ConsoleTransport: stdin carries command lines, stdout the replies.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { REPLY_LINE, type ConsoleTransport } from './console-script.js';

export const QEMU = 'qemu-system-riscv64';

/** Why QEMU tests must skip, or undefined when qemu-system-riscv64 runs. */
export function qemuMissingReason(): string | undefined {
  const probe = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
  if (probe.error) return `${QEMU} is not installed (${probe.error.message})`;
  if (probe.status !== 0) return `${QEMU} --version exited with ${probe.status}`;
  return undefined;
}

export interface QemuBoot {
  readonly image: string;
  readonly harts: number;
  /** QEMU -m argument, e.g. "128M". */
  readonly memory: string;
  /** QEMU -cpu argument (e.g. "rv64,h=true" for guests); QEMU's default CPU when absent. */
  readonly cpu?: string;
  /** Firmware file for -bios; QEMU's default (OpenSBI fw_dynamic) when absent. */
  readonly bios?: string;
  /** Further QEMU arguments (e.g. a monitor socket). */
  readonly extraArgs?: readonly string[];
}

export interface QemuExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class QemuConsole implements ConsoleTransport {
  /** Every complete output line so far (carriage returns dropped). */
  readonly lines: string[] = [];
  readonly exited: Promise<QemuExit>;
  readonly args: string[];
  private partial = '';
  private replyCursor = 0;
  private lineCursor = 0;
  private wake: (() => void) | undefined;
  private exit: QemuExit | undefined;
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(boot: QemuBoot) {
    this.args = ['-machine', 'virt', '-nographic', '-smp', String(boot.harts), '-m', boot.memory, ...(boot.cpu ? ['-cpu', boot.cpu] : []), ...(boot.bios ? ['-bios', boot.bios] : []), ...(boot.extraArgs ?? []), '-kernel', boot.image];
    this.child = spawn(QEMU, this.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const take = (chunk: Buffer) => {
      const parts = (this.partial + chunk.toString('latin1').replace(/\r/g, '')).split('\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
      this.wake?.();
    };
    this.child.stdout.on('data', take);
    this.child.stderr.on('data', take);
    this.child.stdin.on('error', () => {}); // QEMU may exit (poweroff, panic) before reading all input
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': only then has all of stdout and stderr been read.
      this.child.on('close', (code, signal) => {
        if (this.partial) this.lines.push(this.partial), (this.partial = '');
        this.exit = { code, signal };
        this.wake?.();
        resolve(this.exit);
      });
    });
  }

  /** `qemu-system-riscv64 ...` as typed, for messages. */
  get command(): string {
    return [QEMU, ...this.args].join(' ');
  }

  sendLine(line: string): void {
    this.child.stdin.write(line + '\n');
  }

  /** The next output line matching `pattern` (any line, from where the last such wait stopped). */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    return this.next((line) => pattern.test(line), 'line', timeoutMs, pattern.source);
  }

  nextReply(timeoutMs: number): Promise<string> {
    return this.next((line) => REPLY_LINE.test(line), 'reply', timeoutMs, REPLY_LINE.source);
  }

  private async next(accept: (line: string) => boolean, cursor: 'line' | 'reply', timeoutMs: number, what: string): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let at = cursor === 'line' ? this.lineCursor : this.replyCursor;
      while (at < this.lines.length) {
        const line = this.lines[at++]!;
        if (accept(line)) {
          if (cursor === 'line') this.lineCursor = at;
          else this.replyCursor = at;
          return line;
        }
      }
      if (cursor === 'line') this.lineCursor = at;
      else this.replyCursor = at;
      if (this.exit) throw new Error(`QEMU exited (${this.exit.code ?? this.exit.signal}) before a line matching /${what}/; last output:\n${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line matching /${what}/ within ${timeoutMs} ms; last output:\n${this.tail()}`);
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

  /** The last lines of output, for failure messages. */
  tail(n = 15): string {
    return this.lines.slice(-n).join('\n');
  }

  /** Ends QEMU if it still runs, and waits for it. */
  async kill(): Promise<QemuExit> {
    if (!this.exit) this.child.kill('SIGKILL');
    return this.exited;
  }
}

/** How many QEMUs one test file runs at once (the machine is shared with other tests). */
export const QEMU_CONCURRENCY = 2;
let running = 0;
const waiting: (() => void)[] = [];

/** Runs `body` when fewer than QEMU_CONCURRENCY others of this file are running. */
export async function limitQemu<T>(body: () => Promise<T>): Promise<T> {
  if (running >= QEMU_CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await body();
  } finally {
    running--;
    waiting.shift()?.();
  }
}
