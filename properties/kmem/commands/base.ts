/** What every KMEM command shares: its data (positions), the line it really sent, and toString. */
import type fc from 'fast-check';
import { formatCommandData, type ConsoleCommand } from '../../arbitraries/program.js';
import type { KmemReal, KmemTestModel } from '../model.js';

export abstract class KmemCommand<C extends ConsoleCommand = ConsoleCommand> implements fc.Command<KmemTestModel, KmemReal> {
  /** The console line with real values, once run (toString shows it). */
  protected sent: string | undefined;
  constructor(readonly data: C) {}
  check(_m: Readonly<KmemTestModel>): boolean {
    return true;
  }
  abstract run(m: KmemTestModel, r: KmemReal): void;
  toString(): string {
    return this.sent ?? formatCommandData(this.data);
  }
}
