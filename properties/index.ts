/** The property suite's public surface (what the CLI and the benchmarks use). */
export * from './arbitraries/platform.js';
export * from './arbitraries/program.js';
export * from './arbitraries/schedule.js';
export * from './harness/image.js';
export * from './harness/hypervisor.js';
export * from './observe/memory.js';
export * from './kmem/shadow.js';
export * from './checks/boot.js';
export * from './report/ptdump.js';
export * from './report/counterexample.js';
export * from './report/token.js';
export * from './suite.js';
