/**
 * Writing a report file atomically: a temporary file in the same folder, then a rename, so a reader
 * never sees half a report and an earlier report stays whole until the new one replaces it.
 *
 * Interrupts: the suite and the writes are synchronous, so Node runs a SIGINT handler only once
 * they are done. Until the first write none is installed, so Ctrl-C during the suite ends the
 * process at once (no report has been started: every earlier report is intact). From the first
 * write on one is: a SIGINT then waits for the writes (each file is whole) and exits 130
 * (128 + SIGINT). A temporary file left by a process killed outright (SIGKILL, power loss) is
 * removed by the next write of the same report.
 */
import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Exit status after SIGINT, as shells report a process it ended (128 + signal 2). */
export const EXIT_INTERRUPTED = 130;

function onInterrupt(): void {
  process.exit(EXIT_INTERRUPTED);
}

/** Whether a process with this id still runs (signal 0 only checks it exists; EPERM: it does, as someone else's). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `.NAME.PID.tmp` files beside `path` whose process is gone. */
function removeStaleTemporaries(path: string): void {
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return; // the write itself reports an unusable folder
  }
  for (const name of names) {
    const pid = name.startsWith(prefix) && name.endsWith('.tmp') ? Number(name.slice(prefix.length, -'.tmp'.length)) : NaN;
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !running(pid)) rmSync(join(dirname(path), name), { force: true });
  }
}

export function writeFileAtomically(path: string, text: string): void {
  if (!process.listeners('SIGINT').includes(onInterrupt)) process.on('SIGINT', onInterrupt);
  removeStaleTemporaries(path);
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (e) {
    rmSync(temporary, { force: true });
    throw e;
  }
}
