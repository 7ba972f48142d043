import type { InterruptLine } from '../../../emulator/devices/device.js';

/** An interrupt wire for tests: remembers its level and every drive. */
export interface RecordedLine {
  readonly line: InterruptLine;
  readonly level: boolean;
  readonly drives: readonly boolean[];
}

export function recordedLine(): RecordedLine {
  const drives: boolean[] = [];
  return {
    line: (level) => {
      drives.push(level);
    },
    get level() {
      return drives.at(-1) ?? false;
    },
    drives,
  };
}
