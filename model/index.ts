/** The reference model's public surface: import from here (`model/index.js`). */
export * from './address.js';
export * from './layout.js';
export * from './platform.js';
export * from './sv39/pte.js';
export * from './sv39/walk.js';
export * from './sv39/mapping.js';
export * from './sv39/flatten.js';
export * from './sv39/build.js';
export * from './memory-map.js';
export * from './early-boot.js';
export * from './kmem.js';
export * from './rules/rule.js';
export * from './rules/map.js';
export * from './rules/boot.js';
export * from './rules/kmem.js';
export * from './rules/check.js';
