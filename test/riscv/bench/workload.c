/*
 * The CPU-bound mix sv39-loop runs in S-mode: a 64-bit LCG (mul), loads
 * and stores spread over a four-page working set, data-dependent branches
 * and calls/returns. Deterministic: the result depends only on iterations.
 */
typedef unsigned long u64;

#define WORKING_SET_WORDS (4 * 4096 / 8)

static u64 working_set[WORKING_SET_WORDS] __attribute__((aligned(4096)));

/* A call target that is not inlined, so every few iterations pay a call. */
__attribute__((noinline)) static u64 mix(u64 a, u64 b)
{
	u64 x = a ^ (b >> 17);
	x *= 0x9e3779b97f4a7c15UL;
	return x ^ (x >> 29);
}

u64 workload(u64 iterations);

u64 workload(u64 iterations)
{
	u64 state = 0x243f6a8885a308d3UL;
	u64 sum = 0;
	for (u64 i = 0; i < iterations; i++) {
		state = state * 6364136223846793005UL + 1442695040888963407UL;
		u64 index = (state >> 33) & (WORKING_SET_WORDS - 1);
		u64 value = working_set[index];
		if (value & 1)
			sum += mix(value, state);
		else
			sum ^= value + i;
		working_set[(index * 7 + 1) & (WORKING_SET_WORDS - 1)] = value + state;
		if ((i & 3) == 0)
			sum = mix(sum, i);
	}
	return sum;
}
