// Spin locks on one 32-bit word: 0 = free, 1 = held. Acquired with amoswap.w.aq
// (A extension, test-and-set), released with a store-release; no hart id is
// needed, so a lock works on every hart from its first instruction, before
// the cpu struct is mapped. Interrupts are never enabled in S-mode, so no
// interrupt masking is needed either.
#include "defs.h"

// acquire: spins (reading, to keep the line shared) until the swap returns 0.
void acquire(volatile u32 *lock) {
  while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE) != 0) {
    while (*lock != 0) {
    }
  }
}

// release: gives up a held lock; panics if it was not held.
void release(volatile u32 *lock) {
  if (*lock == 0) panic("release: lock %p is not held", lock);
  __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}
