#include "consort_field.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define CONSORT_CLMUL_TARGET __attribute__((target("pclmul,sse4.1")))
#endif

/// 128-bit carry-less products, accumulated by XOR before one reduction.
typedef struct {
    uint64_t lo, hi;
} wide_t;

static uint64_t reduce(wide_t x) {
    // X^64 ≡ X^4 + X^3 + X + 1; the bits of hi·(X^4 + X^3 + X) that pass X^63 fold once more.
    uint64_t hi = x.hi;
    uint64_t carry = (hi >> 63) ^ (hi >> 61) ^ (hi >> 60);
    uint64_t folded = hi ^ (hi << 1) ^ (hi << 3) ^ (hi << 4);
    folded ^= carry ^ (carry << 1) ^ (carry << 3) ^ (carry << 4);
    return x.lo ^ folded;
}

static wide_t clmul_portable(uint64_t a, uint64_t b) {
    wide_t r = {0, 0};
    for (int i = 0; i < 64; i++) {
        uint64_t mask = 0 - ((b >> i) & 1);
        r.lo ^= (a << i) & mask;
        if (i > 0) r.hi ^= (a >> (64 - i)) & mask;
    }
    return r;
}

#if defined(__x86_64__)
CONSORT_CLMUL_TARGET static inline __m128i clmul(uint64_t a, uint64_t b) {
    return _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)a), _mm_cvtsi64_si128((long long)b), 0x00);
}

CONSORT_CLMUL_TARGET static inline wide_t unpack(__m128i x) {
    wide_t r = {(uint64_t)_mm_cvtsi128_si64(x), (uint64_t)_mm_extract_epi64(x, 1)};
    return r;
}

static int has_pclmul(void) {
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    return cached;
}

CONSORT_CLMUL_TARGET static uint64_t multiply_fast(uint64_t a, uint64_t b) { return reduce(unpack(clmul(a, b))); }

CONSORT_CLMUL_TARGET static uint64_t dot_fast(const uint64_t *a, const uint64_t *b, size_t count) {
    __m128i acc = _mm_setzero_si128();
    for (size_t i = 0; i < count; i++) acc = _mm_xor_si128(acc, clmul(a[i], b[i]));
    return reduce(unpack(acc));
}

CONSORT_CLMUL_TARGET static void round_fast(
    const uint64_t *u, const uint64_t *v, size_t half, uint64_t *c0, uint64_t *c2) {
    __m128i a0 = _mm_setzero_si128(), a2 = _mm_setzero_si128();
    for (size_t i = 0; i < half; i++) {
        a0 = _mm_xor_si128(a0, clmul(u[i], v[i]));
        a2 = _mm_xor_si128(a2, clmul(u[i + half] ^ u[i], v[i + half] ^ v[i]));
    }
    *c0 = reduce(unpack(a0));
    *c2 = reduce(unpack(a2));
}

CONSORT_CLMUL_TARGET static void fold_fast(uint64_t *x, size_t half, uint64_t r) {
    for (size_t i = 0; i < half; i++) x[i] ^= reduce(unpack(clmul(r, x[i + half] ^ x[i])));
}

CONSORT_CLMUL_TARGET static void first_round_fast(
    const uint8_t *a, const uint8_t *b, const uint64_t *rho, size_t groups, const uint64_t *f, const uint64_t *g,
    uint64_t *out) {
    __m128i acc[7];
    for (int k = 0; k < 7; k++) acc[k] = _mm_setzero_si128();
    for (size_t w = 0; w < groups; w++) {
        if ((a[w] | b[w]) == 0) continue;
        for (int k = 0; k < 7; k++) {
            uint64_t product = reduce(unpack(clmul(f[k * 256 + a[w]], g[k * 256 + b[w]])));
            acc[k] = _mm_xor_si128(acc[k], clmul(rho[w], product));
        }
    }
    for (int k = 0; k < 7; k++) out[k] = reduce(unpack(acc[k]));
}

CONSORT_CLMUL_TARGET static void fold_first_fast(
    const uint8_t *a, const uint8_t *b, const uint64_t *rho, size_t groups, const uint64_t *f, const uint64_t *g,
    uint64_t *u, uint64_t *v) {
    for (size_t w = 0; w < groups; w++) {
        u[w] = reduce(unpack(clmul(rho[w], f[a[w]])));
        v[w] = g[b[w]];
    }
}

CONSORT_CLMUL_TARGET static uint64_t weighted_lookup_fast(
    const uint8_t *e, const uint64_t *rho, size_t groups, const uint64_t *t) {
    __m128i acc = _mm_setzero_si128();
    for (size_t w = 0; w < groups; w++) {
        if (e[w]) acc = _mm_xor_si128(acc, clmul(rho[w], t[e[w]]));
    }
    return reduce(unpack(acc));
}
#else
static int has_pclmul(void) { return 0; }
static uint64_t multiply_fast(uint64_t a, uint64_t b) { return 0; }
static uint64_t dot_fast(const uint64_t *a, const uint64_t *b, size_t count) { return 0; }
static void round_fast(const uint64_t *u, const uint64_t *v, size_t half, uint64_t *c0, uint64_t *c2) {}
static void fold_fast(uint64_t *x, size_t half, uint64_t r) {}
static void first_round_fast(
    const uint8_t *a, const uint8_t *b, const uint64_t *rho, size_t groups, const uint64_t *f, const uint64_t *g,
    uint64_t *out) {}
static void fold_first_fast(
    const uint8_t *a, const uint8_t *b, const uint64_t *rho, size_t groups, const uint64_t *f, const uint64_t *g,
    uint64_t *u, uint64_t *v) {}
static uint64_t weighted_lookup_fast(const uint8_t *e, const uint64_t *rho, size_t groups, const uint64_t *t) {
    return 0;
}
#endif

static uint64_t multiply_portable(uint64_t a, uint64_t b) { return reduce(clmul_portable(a, b)); }

uint64_t consort_gf64_multiply(uint64_t a, uint64_t b) {
    return has_pclmul() ? multiply_fast(a, b) : multiply_portable(a, b);
}

uint64_t consort_gf64_dot(const uint64_t *a, const uint64_t *b, size_t count) {
    if (has_pclmul()) return dot_fast(a, b, count);
    uint64_t sum = 0;
    for (size_t i = 0; i < count; i++) sum ^= multiply_portable(a[i], b[i]);
    return sum;
}

void consort_gf64_round(const uint64_t *u, const uint64_t *v, size_t half, uint64_t *c0, uint64_t *c2) {
    if (has_pclmul()) {
        round_fast(u, v, half, c0, c2);
        return;
    }
    uint64_t s0 = 0, s2 = 0;
    for (size_t i = 0; i < half; i++) {
        s0 ^= multiply_portable(u[i], v[i]);
        s2 ^= multiply_portable(u[i + half] ^ u[i], v[i + half] ^ v[i]);
    }
    *c0 = s0;
    *c2 = s2;
}

void consort_gf64_fold(uint64_t *x, size_t half, uint64_t r) {
    if (has_pclmul()) {
        fold_fast(x, half, r);
        return;
    }
    for (size_t i = 0; i < half; i++) x[i] ^= multiply_portable(r, x[i + half] ^ x[i]);
}

void consort_gf64_first_round(
    const uint8_t *a, const uint8_t *b, const uint64_t *rho, size_t groups, const uint64_t *f, const uint64_t *g,
    uint64_t *out, uint64_t *diagonal) {
    for (int j = 0; j < 8; j++) diagonal[j] = 0;
    for (size_t w = 0; w < groups; w++) {
        uint8_t both = a[w] & b[w];
        while (both) {
            int j = __builtin_ctz(both);
            diagonal[j] ^= rho[w];
            both &= (uint8_t)(both - 1);
        }
    }
    if (has_pclmul()) {
        first_round_fast(a, b, rho, groups, f, g, out);
        return;
    }
    for (int k = 0; k < 7; k++) out[k] = 0;
    for (size_t w = 0; w < groups; w++) {
        for (int k = 0; k < 7; k++)
            out[k] ^= multiply_portable(rho[w], multiply_portable(f[k * 256 + a[w]], g[k * 256 + b[w]]));
    }
}

void consort_gf64_fold_first(
    const uint8_t *a, const uint8_t *b, const uint64_t *rho, size_t groups, const uint64_t *f, const uint64_t *g,
    uint64_t *u, uint64_t *v) {
    if (has_pclmul()) {
        fold_first_fast(a, b, rho, groups, f, g, u, v);
        return;
    }
    for (size_t w = 0; w < groups; w++) {
        u[w] = multiply_portable(rho[w], f[a[w]]);
        v[w] = g[b[w]];
    }
}

uint64_t consort_gf64_weighted_lookup(const uint8_t *e, const uint64_t *rho, size_t groups, const uint64_t *t) {
    if (has_pclmul()) return weighted_lookup_fast(e, rho, groups, t);
    uint64_t sum = 0;
    for (size_t w = 0; w < groups; w++)
        if (e[w]) sum ^= multiply_portable(rho[w], t[e[w]]);
    return sum;
}
