#include "consort_ring.h"

#include <stdatomic.h>

/// 0: the best loops the CPU has; 1: portable C; 2: AVX2 at most (tests run every path the CPU has).
static atomic_int forced_path = 0;

void consort_ring_use_path(int path) { atomic_store(&forced_path, path); }

#if defined(__x86_64__)
#include <immintrin.h>
#define CONSORT_AVX2 __attribute__((target("avx2")))
#define CONSORT_AVX512 __attribute__((target("avx2,avx512f,avx512dq")))

static int has_avx2(void) {
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("avx2");
    return cached && atomic_load_explicit(&forced_path, memory_order_relaxed) != 1;
}

/// AVX-512 with its 64-bit low multiply (VPMULLQ, AVX512DQ): one instruction where AVX2 takes three 32-bit products.
static int has_avx512(void) {
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
    return cached && atomic_load_explicit(&forced_path, memory_order_relaxed) == 0;
}

CONSORT_AVX512 static void axpy_avx512(uint64_t *y, const uint64_t *x, uint64_t a, size_t n) {
    __m512i factor = _mm512_set1_epi64((long long)a);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512i product = _mm512_mullo_epi64(_mm512_loadu_si512(x + i), factor);
        _mm512_storeu_si512(y + i, _mm512_add_epi64(_mm512_loadu_si512(y + i), product));
    }
    for (; i < n; i++) y[i] += a * x[i];
}

CONSORT_AVX512 static void multiply_add_avx512(uint64_t *y, const uint64_t *a, const uint64_t *b, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512i product = _mm512_mullo_epi64(_mm512_loadu_si512(a + i), _mm512_loadu_si512(b + i));
        _mm512_storeu_si512(y + i, _mm512_add_epi64(_mm512_loadu_si512(y + i), product));
    }
    for (; i < n; i++) y[i] += a[i] * b[i];
}

/// The rows-only sums of Winograd's inner product (`fold_rows_avx2`): Σ_i a_2i·a_2i+1 and Σ_i b_2i·b_2i+1.
static inline void row_pairs(const uint64_t *a, const uint64_t *b, size_t m, uint64_t *only_a, uint64_t *only_b) {
    *only_a = *only_b = 0;
    for (size_t j = 0; j + 1 < m; j += 2) {
        *only_a += a[j] * a[j + 1];
        *only_b += b[j] * b[j + 1];
    }
}

/// Winograd's inner product per coefficient, as `fold_rows_avx2`, on 8 lanes with whole 64-bit products.
CONSORT_AVX512 static void fold_rows_avx512(
    const uint64_t *basis, const uint64_t *pairs, const uint64_t *a, const uint64_t *b, size_t m, uint64_t *left,
    uint64_t *right) {
    uint64_t only_a, only_b;
    row_pairs(a, b, m, &only_a, &only_b);
    const __m512i minus_a = _mm512_set1_epi64((long long)only_a);
    const __m512i minus_b = _mm512_set1_epi64((long long)only_b);
    for (size_t base = 0; base < 48; base += 16) {
        __m512i sum_a[2], sum_b[2];
        for (int k = 0; k < 2; k++) {
            sum_a[k] = _mm512_setzero_si512();
            sum_b[k] = _mm512_setzero_si512();
        }
        for (size_t j = 0; j + 1 < m; j += 2) {
            const uint64_t *even = basis + j * 48 + base;
            const uint64_t *odd = even + 48;
            __m512i a_even = _mm512_set1_epi64((long long)a[j]);
            __m512i a_odd = _mm512_set1_epi64((long long)a[j + 1]);
            __m512i b_even = _mm512_set1_epi64((long long)b[j]);
            __m512i b_odd = _mm512_set1_epi64((long long)b[j + 1]);
            for (int k = 0; k < 2; k++) {
                __m512i x_even = _mm512_loadu_si512(even + 8 * k);
                __m512i x_odd = _mm512_loadu_si512(odd + 8 * k);
                sum_a[k] = _mm512_add_epi64(
                    sum_a[k],
                    _mm512_mullo_epi64(_mm512_add_epi64(x_even, a_odd), _mm512_add_epi64(x_odd, a_even)));
                sum_b[k] = _mm512_add_epi64(
                    sum_b[k],
                    _mm512_mullo_epi64(_mm512_add_epi64(x_even, b_odd), _mm512_add_epi64(x_odd, b_even)));
            }
        }
        for (int k = 0; k < 2; k++) {
            __m512i basis_only = _mm512_loadu_si512(pairs + base + 8 * k);
            __m512i add_a = _mm512_sub_epi64(_mm512_sub_epi64(sum_a[k], basis_only), minus_a);
            __m512i add_b = _mm512_sub_epi64(_mm512_sub_epi64(sum_b[k], basis_only), minus_b);
            uint64_t *l = left + base + 8 * k;
            uint64_t *r = right + base + 8 * k;
            _mm512_storeu_si512(l, _mm512_add_epi64(_mm512_loadu_si512(l), add_a));
            _mm512_storeu_si512(r, _mm512_add_epi64(_mm512_loadu_si512(r), add_b));
        }
    }
}

/// The low 64 bits of x · (a_lo + 2^32 a_hi) per lane, from three 32 × 32 → 64-bit products (AVX2 has no 64-bit
/// multiply): x_lo·a_lo + 2^32 (x_hi·a_lo + x_lo·a_hi).
CONSORT_AVX2 static inline __m256i mul64(__m256i x, __m256i a_lo, __m256i a_hi) {
    __m256i low = _mm256_mul_epu32(x, a_lo);
    __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(x, 32), a_lo), _mm256_mul_epu32(x, a_hi));
    return _mm256_add_epi64(low, _mm256_slli_epi64(cross, 32));
}

CONSORT_AVX2 static void add_avx2(uint64_t *y, const uint64_t *x, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256i s = _mm256_add_epi64(_mm256_loadu_si256((const __m256i *)(y + i)),
                                     _mm256_loadu_si256((const __m256i *)(x + i)));
        _mm256_storeu_si256((__m256i *)(y + i), s);
    }
    for (; i < n; i++) y[i] += x[i];
}

CONSORT_AVX2 static void axpy_avx2(uint64_t *y, const uint64_t *x, uint64_t a, size_t n) {
    __m256i a_lo = _mm256_set1_epi64x((long long)(a & 0xffffffffu));
    __m256i a_hi = _mm256_set1_epi64x((long long)(a >> 32));
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256i product = mul64(_mm256_loadu_si256((const __m256i *)(x + i)), a_lo, a_hi);
        _mm256_storeu_si256((__m256i *)(y + i),
                            _mm256_add_epi64(_mm256_loadu_si256((const __m256i *)(y + i)), product));
    }
    for (; i < n; i++) y[i] += a * x[i];
}

CONSORT_AVX2 static void multiply_add_avx2(uint64_t *y, const uint64_t *a, const uint64_t *b, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(a + i));
        __m256i z = _mm256_loadu_si256((const __m256i *)(b + i));
        __m256i product = mul64(x, z, _mm256_srli_epi64(z, 32));
        _mm256_storeu_si256((__m256i *)(y + i),
                            _mm256_add_epi64(_mm256_loadu_si256((const __m256i *)(y + i)), product));
    }
    for (; i < n; i++) y[i] += a[i] * b[i];
}

/// Winograd's inner product (Winograd, "A new algorithm for inner product", IEEE Trans. Computers, 1968): with m even,
/// Σ_j x_j a_j = Σ_i (x_2i + a_2i+1)(x_2i+1 + a_2i) − Σ_i x_2i x_2i+1 − Σ_i a_2i a_2i+1 in any commutative ring — half
/// the products, the basis-only sum `pairs` made once per challenge. A product of two varying words is
/// x_lo·y_lo + 2^32 (x_lo·y_hi + x_hi·y_lo) mod 2^64: one 32 × 32 → 64-bit product and one pair of 32-bit low
/// products (the cross terms, summed mod 2^32 over all rows before the one shift). Eight coefficients of both sums
/// at a time.
CONSORT_AVX2 static void fold_rows_avx2(
    const uint64_t *basis, const uint64_t *pairs, const uint64_t *a, const uint64_t *b, size_t m, uint64_t *left,
    uint64_t *right) {
    uint64_t only_a, only_b;
    row_pairs(a, b, m, &only_a, &only_b);
    const __m256i high = _mm256_set1_epi64x((long long)0xffffffff00000000ULL);
    const __m256i minus_a = _mm256_set1_epi64x((long long)only_a);
    const __m256i minus_b = _mm256_set1_epi64x((long long)only_b);
    for (size_t base = 0; base < 48; base += 8) {
        __m256i low_a[2], cross_a[2], low_b[2], cross_b[2];
        for (int k = 0; k < 2; k++) {
            low_a[k] = _mm256_setzero_si256();
            cross_a[k] = _mm256_setzero_si256();
            low_b[k] = _mm256_setzero_si256();
            cross_b[k] = _mm256_setzero_si256();
        }
        for (size_t j = 0; j + 1 < m; j += 2) {
            const uint64_t *even = basis + j * 48 + base;
            const uint64_t *odd = even + 48;
            __m256i a_even = _mm256_set1_epi64x((long long)a[j]);
            __m256i a_odd = _mm256_set1_epi64x((long long)a[j + 1]);
            __m256i b_even = _mm256_set1_epi64x((long long)b[j]);
            __m256i b_odd = _mm256_set1_epi64x((long long)b[j + 1]);
            for (int k = 0; k < 2; k++) {
                __m256i x_even = _mm256_loadu_si256((const __m256i *)(even + 4 * k));
                __m256i x_odd = _mm256_loadu_si256((const __m256i *)(odd + 4 * k));
                __m256i xa = _mm256_add_epi64(x_even, a_odd);
                __m256i ya = _mm256_add_epi64(x_odd, a_even);
                low_a[k] = _mm256_add_epi64(low_a[k], _mm256_mul_epu32(xa, ya));
                cross_a[k] = _mm256_add_epi32(cross_a[k], _mm256_mullo_epi32(xa, _mm256_shuffle_epi32(ya, 0xb1)));
                __m256i xb = _mm256_add_epi64(x_even, b_odd);
                __m256i yb = _mm256_add_epi64(x_odd, b_even);
                low_b[k] = _mm256_add_epi64(low_b[k], _mm256_mul_epu32(xb, yb));
                cross_b[k] = _mm256_add_epi32(cross_b[k], _mm256_mullo_epi32(xb, _mm256_shuffle_epi32(yb, 0xb1)));
            }
        }
        for (int k = 0; k < 2; k++) {
            __m256i basis_only = _mm256_loadu_si256((const __m256i *)(pairs + base + 4 * k));
            __m256i shifted_a = _mm256_and_si256(_mm256_add_epi64(cross_a[k], _mm256_slli_epi64(cross_a[k], 32)), high);
            __m256i shifted_b = _mm256_and_si256(_mm256_add_epi64(cross_b[k], _mm256_slli_epi64(cross_b[k], 32)), high);
            __m256i sum_a = _mm256_sub_epi64(_mm256_sub_epi64(_mm256_add_epi64(low_a[k], shifted_a), basis_only), minus_a);
            __m256i sum_b = _mm256_sub_epi64(_mm256_sub_epi64(_mm256_add_epi64(low_b[k], shifted_b), basis_only), minus_b);
            __m256i *l = (__m256i *)(left + base + 4 * k);
            __m256i *r = (__m256i *)(right + base + 4 * k);
            _mm256_storeu_si256(l, _mm256_add_epi64(_mm256_loadu_si256(l), sum_a));
            _mm256_storeu_si256(r, _mm256_add_epi64(_mm256_loadu_si256(r), sum_b));
        }
    }
}

/// wide holds 96 words (the 95 of a product and a zero). Top down in blocks of four: X^(48+k) ≡ −(X^(k+9) + X^(k+7) + X^(k+4) + X^k) mod f. A block's writes land below its
/// own top words, and those at 48 and above (k + 9 ≥ 48) belong to blocks handled later, so the blocks are independent.
CONSORT_AVX2 static void reduce_avx2(uint64_t *wide, uint64_t *out) {
    for (int k = 44; k >= 0; k -= 4) {
        __m256i c = _mm256_loadu_si256((const __m256i *)(wide + 48 + k));
        _mm256_storeu_si256((__m256i *)(wide + 48 + k), _mm256_setzero_si256());
        for (int tap = 0; tap < 4; tap++) {
            static const int taps[4] = {0, 4, 7, 9};
            __m256i *target = (__m256i *)(wide + k + taps[tap]);
            _mm256_storeu_si256(target, _mm256_sub_epi64(_mm256_loadu_si256(target), c));
        }
    }
    for (int i = 0; i < 48; i++) out[i] = wide[i];
}

CONSORT_AVX2 static void fold_exceptional_avx2(uint64_t *x, size_t half, uint64_t r) {
    uint64_t wide[96], delta[48];
    for (size_t k = 0; k < half; k++) {
        uint64_t *lo = x + k * 48, *hi = x + (k + half) * 48;
        for (int i = 0; i < 48; i += 4) {
            _mm256_storeu_si256((__m256i *)(delta + i), _mm256_sub_epi64(_mm256_loadu_si256((const __m256i *)(hi + i)),
                                                                      _mm256_loadu_si256((const __m256i *)(lo + i))));
        }
        for (int i = 0; i < 96; i += 4) _mm256_storeu_si256((__m256i *)(wide + i), _mm256_setzero_si256());
        for (uint64_t bits = r; bits != 0; bits &= bits - 1) {
            uint64_t *target = wide + __builtin_ctzll(bits);
            for (int i = 0; i < 48; i += 4) {
                __m256i *t = (__m256i *)(target + i);
                _mm256_storeu_si256(t, _mm256_add_epi64(_mm256_loadu_si256(t),
                                                        _mm256_loadu_si256((const __m256i *)(delta + i))));
            }
        }
        reduce_avx2(wide, delta);
        for (int i = 0; i < 48; i += 4) {
            __m256i *l = (__m256i *)(lo + i);
            _mm256_storeu_si256(l, _mm256_add_epi64(_mm256_loadu_si256(l),
                                                    _mm256_loadu_si256((const __m256i *)(delta + i))));
        }
    }
}
/// h·(1 + X^4 + X^7 + X^9) on blocks of eight coefficients: block b of the product from blocks b, b − 1 and b − 2 of
/// h (`cur`, `prev`, `prev2`), the shifts by VALIGNQ (word j of the result takes word j − τ of h).
#define CONSORT_TAPS(cur, prev, prev2)                                                                              \
    _mm512_add_epi64(_mm512_add_epi64(cur, _mm512_alignr_epi64(cur, prev, 4)),                                     \
                     _mm512_add_epi64(_mm512_alignr_epi64(cur, prev, 1), _mm512_alignr_epi64(prev, prev2, 7)))

/// The set bits of an exceptional r, and for each block b of eight product words (8b ..< 8b + 8) the bits whose
/// window of delta meets it (8b − 47 ≤ t ≤ 8b + 7): bits[first[b] ..< last[b]].
typedef struct {
    int bits[48], first[12], last[12];
} exceptional_plan;

static inline void plan_exceptional(uint64_t r, exceptional_plan *plan) {
    r &= (UINT64_C(1) << 48) - 1;
    int count = 0;
    for (uint64_t rest = r; rest != 0; rest &= rest - 1) plan->bits[count++] = __builtin_ctzll(rest);
    // The set bits below a bound are counted, not searched for: bits are in increasing order.
    for (int b = 0; b < 12; b++) {
        int low = 8 * b - 47, high = 8 * b + 8;
        plan->first[b] = low <= 0 ? 0 : __builtin_popcountll(r & ((UINT64_C(1) << low) - 1));
        plan->last[b] = high >= 48 ? count : __builtin_popcountll(r & ((UINT64_C(1) << high) - 1));
    }
}

/// r·x reduced, in six registers: output word j of the product is Σ over the set bits t of r of x[j − t], so each
/// block of eight product words takes one load of x per set bit whose window meets it (masked where the window runs
/// past x's ends: masked lanes are not read), and the twelve blocks are reduced in registers — with
/// g = 1 + X^4 + X^7 + X^9, X^48 ≡ −g, so L + X^48·H ≡ L − M + g·H2 where g·H = M + X^48·H2. The AVX2 loops add
/// into memory once per set bit and reduce through memory, where every step waits on the store before it.
CONSORT_AVX512 static inline void exceptional_product_avx512(
    const exceptional_plan *plan, const uint64_t *x, __m512i out[6]) {
    const __m512i zero = _mm512_setzero_si512();
    // h[b + 2] = block 6 + b of the product (H); h[0], h[1], h[8] zero.
    __m512i h[9];
    for (int b = 0; b < 12; b++) {
        __m512i sum = zero;
        for (int i = plan->first[b]; i < plan->last[b]; i++) {
            int start = 8 * b - plan->bits[i];
            __mmask8 lanes = start < 0 ? (__mmask8)(0xff << -start) : (__mmask8)(0xff >> (start > 40 ? start - 40 : 0));
            sum = _mm512_add_epi64(sum, _mm512_maskz_loadu_epi64(lanes, x + start));
        }
        if (b < 6) out[b] = sum;
        else h[b - 4] = sum;
    }
    h[0] = h[1] = h[8] = zero;
    __m512i h2 = CONSORT_TAPS(h[8], h[7], h[6]);
    __m512i back[3] = {CONSORT_TAPS(h2, zero, zero), CONSORT_TAPS(zero, h2, zero), CONSORT_TAPS(zero, zero, h2)};
    for (int b = 0; b < 6; b++) {
        out[b] = _mm512_sub_epi64(out[b], CONSORT_TAPS(h[b + 2], h[b + 1], h[b]));
        if (b < 3) out[b] = _mm512_add_epi64(out[b], back[b]);
    }
}

CONSORT_AVX512 static void fold_exceptional_avx512(uint64_t *x, size_t half, uint64_t r) {
    exceptional_plan plan;
    plan_exceptional(r, &plan);
    uint64_t delta[48];
    for (size_t k = 0; k < half; k++) {
        uint64_t *lo = x + k * 48, *hi = x + (k + half) * 48;
        for (int i = 0; i < 48; i += 8)
            _mm512_storeu_si512(delta + i, _mm512_sub_epi64(_mm512_loadu_si512(hi + i), _mm512_loadu_si512(lo + i)));
        __m512i product[6];
        exceptional_product_avx512(&plan, delta, product);
        for (int b = 0; b < 6; b++)
            _mm512_storeu_si512(lo + 8 * b, _mm512_add_epi64(_mm512_loadu_si512(lo + 8 * b), product[b]));
    }
}

CONSORT_AVX512 static void multiply_exceptional_avx512(const uint64_t *x, uint64_t r, uint64_t *out) {
    exceptional_plan plan;
    plan_exceptional(r, &plan);
    __m512i product[6];
    exceptional_product_avx512(&plan, x, product);
    for (int b = 0; b < 6; b++) _mm512_storeu_si512(out + 8 * b, product[b]);
}

/// wide[0 ..< 95] += a·b for Galois-ring elements of 48 words, the product in registers: for each residue s of i mod 8,
/// Σ_q a[8q + s]·b·X^(8q) in eleven blocks of eight (whole-block offsets, no lane shifts), then shifted up by s
/// (VALIGNQ) into the twelve blocks of wide. The AVX2 loop runs 48 AXPYs through memory.
#define CONSORT_PRODUCT_PHASE(S)                                                                                   \
    do {                                                                                                           \
        __m512i acc[11];                                                                                           \
        for (int j = 0; j < 11; j++) acc[j] = _mm512_setzero_si512();                                             \
        for (int q = 0; q < 6; q++) {                                                                              \
            __m512i factor = _mm512_set1_epi64((long long)a[8 * q + (S)]);                                        \
            for (int k = 0; k < 6; k++) acc[q + k] = _mm512_add_epi64(acc[q + k], _mm512_mullo_epi64(factor, bb[k])); \
        }                                                                                                          \
        if ((S) == 0) {                                                                                            \
            for (int j = 0; j < 11; j++) w[j] = _mm512_add_epi64(w[j], acc[j]);                                   \
        } else {                                                                                                   \
            w[0] = _mm512_add_epi64(w[0], _mm512_alignr_epi64(acc[0], zero, 8 - (S)));                            \
            for (int j = 1; j < 11; j++) w[j] = _mm512_add_epi64(w[j], _mm512_alignr_epi64(acc[j], acc[j - 1], 8 - (S))); \
            w[11] = _mm512_add_epi64(w[11], _mm512_alignr_epi64(zero, acc[10], 8 - (S)));                        \
        }                                                                                                          \
    } while (0)

CONSORT_AVX512 static void accumulate_product_avx512(const uint64_t *a, const uint64_t *b, uint64_t *wide) {
    const __m512i zero = _mm512_setzero_si512();
    __m512i bb[6], w[12];
    for (int k = 0; k < 6; k++) bb[k] = _mm512_loadu_si512(b + 8 * k);
    for (int j = 0; j < 11; j++) w[j] = _mm512_loadu_si512(wide + 8 * j);
    w[11] = _mm512_maskz_loadu_epi64(0x7f, wide + 88);  // wide holds 95 words
    CONSORT_PRODUCT_PHASE(0);
    CONSORT_PRODUCT_PHASE(1);
    CONSORT_PRODUCT_PHASE(2);
    CONSORT_PRODUCT_PHASE(3);
    CONSORT_PRODUCT_PHASE(4);
    CONSORT_PRODUCT_PHASE(5);
    CONSORT_PRODUCT_PHASE(6);
    CONSORT_PRODUCT_PHASE(7);
    for (int j = 0; j < 11; j++) _mm512_storeu_si512(wide + 8 * j, w[j]);
    _mm512_mask_storeu_epi64(wide + 88, 0x7f, w[11]);
}

CONSORT_AVX2 static void add_selected_avx2(
    uint64_t *s, const uint64_t *subsets, const uint8_t *masks, size_t quads, size_t size) {
    size_t z = 0;
    for (; z + 8 <= size; z += 8) {
        for (size_t t = 0; t < 48; t++) {
            uint64_t *out = s + t * size + z;
            __m256i low = _mm256_loadu_si256((const __m256i *)out);
            __m256i high = _mm256_loadu_si256((const __m256i *)(out + 4));
            for (size_t q = 0; q < quads; q++) {
                const uint64_t *in = subsets + (16 * q + masks[48 * q + t]) * size + z;
                low = _mm256_add_epi64(low, _mm256_loadu_si256((const __m256i *)in));
                high = _mm256_add_epi64(high, _mm256_loadu_si256((const __m256i *)(in + 4)));
            }
            _mm256_storeu_si256((__m256i *)out, low);
            _mm256_storeu_si256((__m256i *)(out + 4), high);
        }
    }
    for (; z < size; z++)
        for (size_t t = 0; t < 48; t++)
            for (size_t q = 0; q < quads; q++) s[t * size + z] += subsets[(16 * q + masks[48 * q + t]) * size + z];
}

#endif

/// out = the 95 words of a product in `wide` reduced modulo X^48 + X^9 + X^7 + X^4 + 1, top down (`wide` is cleared
/// above 47 on the way).
static void reduce_portable(uint64_t *wide, uint64_t *out) {
    for (int j = 46; j >= 0; j--) {
        uint64_t c = wide[48 + j];
        wide[48 + j] = 0;
        wide[j] -= c;
        wide[j + 4] -= c;
        wide[j + 7] -= c;
        wide[j + 9] -= c;
    }
    for (int i = 0; i < 48; i++) out[i] = wide[i];
}

static void add_portable(uint64_t *y, const uint64_t *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

static void axpy_portable(uint64_t *y, const uint64_t *x, uint64_t a, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

void consort_ring_add(uint64_t *y, const uint64_t *x, size_t n) {
#if defined(__x86_64__)
    if (has_avx2()) {
        add_avx2(y, x, n);
        return;
    }
#endif
    add_portable(y, x, n);
}

void consort_ring_add_selected(uint64_t *s, const uint64_t *subsets, const uint8_t *masks, size_t quads, size_t size) {
#if defined(__x86_64__)
    if (has_avx2()) {
        add_selected_avx2(s, subsets, masks, quads, size);
        return;
    }
#endif
    for (size_t q = 0; q < quads; q++)
        for (size_t t = 0; t < 48; t++) {
            const uint64_t *in = subsets + (16 * q + masks[48 * q + t]) * size;
            for (size_t z = 0; z < size; z++) s[t * size + z] += in[z];
        }
}

void consort_ring_axpy(uint64_t *y, const uint64_t *x, uint64_t a, size_t n) {
#if defined(__x86_64__)
    if (has_avx512()) {
        axpy_avx512(y, x, a, n);
        return;
    }
    if (has_avx2()) {
        axpy_avx2(y, x, a, n);
        return;
    }
#endif
    axpy_portable(y, x, a, n);
}

void consort_ring_multiply_add(uint64_t *y, const uint64_t *a, const uint64_t *b, size_t n) {
#if defined(__x86_64__)
    if (has_avx512()) {
        multiply_add_avx512(y, a, b, n);
        return;
    }
    if (has_avx2()) {
        multiply_add_avx2(y, a, b, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) y[i] += a[i] * b[i];
}

#if defined(__x86_64__)
/// Transposes eight rows of eight words in registers (row i lane j → row j lane i).
CONSORT_AVX512 static inline void transpose8(__m512i r[8]) {
    __m512i t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm512_unpacklo_epi64(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi64(r[i], r[i + 1]);
    }
    // Pairs of 128-bit lanes, then 256-bit halves.
    const __m512i lo2 = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0), hi2 = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    for (int i = 0; i < 8; i += 4)
        for (int k = 0; k < 2; k++) {
            u[i + k] = _mm512_permutex2var_epi64(t[i + k], lo2, t[i + k + 2]);
            u[i + k + 2] = _mm512_permutex2var_epi64(t[i + k], hi2, t[i + k + 2]);
        }
    const __m512i lo4 = _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0), hi4 = _mm512_set_epi64(15, 14, 13, 12, 7, 6, 5, 4);
    for (int k = 0; k < 4; k++) {
        r[k] = _mm512_permutex2var_epi64(u[k], lo4, u[k + 4]);
        r[k + 4] = _mm512_permutex2var_epi64(u[k], hi4, u[k + 4]);
    }
}

/// `consort_ring_grid_products8` with the eight positions in the lanes of one vector: the grid extension runs once
/// for all eight (no plan per position), the products are VPMULLQ, and blocks of eight points are transposed back.
CONSORT_AVX512 static void grid_products8_avx512(
    const uint64_t *a, const uint64_t *b, size_t m, const int32_t *plan, size_t count, uint64_t *const *out) {
    __m512i ga[CONSORT_MAX_GRID], gb[CONSORT_MAX_GRID];
    const __m512i stride = _mm512_set_epi64(7 * (long long)m, 6 * (long long)m, 5 * (long long)m, 4 * (long long)m,
                                            3 * (long long)m, 2 * (long long)m, (long long)m, 0);
    for (size_t g = 0; g < count; g++) {
        int32_t first = plan[2 * g], second = plan[2 * g + 1];
        if (second < 0) {
            ga[g] = _mm512_i64gather_epi64(stride, (const long long *)(a + first), 8);
            gb[g] = _mm512_i64gather_epi64(stride, (const long long *)(b + first), 8);
        } else {
            ga[g] = _mm512_sub_epi64(ga[first], ga[second]);
            gb[g] = _mm512_sub_epi64(gb[first], gb[second]);
        }
    }
    size_t g = 0;
    for (; g + 8 <= count; g += 8) {
        __m512i block[8];
        for (int i = 0; i < 8; i++) block[i] = _mm512_mullo_epi64(ga[g + i], gb[g + i]);
        transpose8(block);
        for (int l = 0; l < 8; l++) _mm512_storeu_si512(out[l] + g, block[l]);
    }
    for (; g < count; g++) {
        uint64_t lanes[8];
        _mm512_storeu_si512(lanes, _mm512_mullo_epi64(ga[g], gb[g]));
        for (int l = 0; l < 8; l++) out[l][g] = lanes[l];
    }
}
#endif

void consort_ring_grid_products8(
    const uint64_t *a, const uint64_t *b, size_t m, const int32_t *plan, size_t count, uint64_t *const *out) {
#if defined(__x86_64__)
    if (has_avx512()) {
        grid_products8_avx512(a, b, m, plan, count, out);
        return;
    }
#endif
    // A position at a time, the products by the best loop the CPU has (AVX2's where there is no AVX-512).
    uint64_t left[CONSORT_MAX_GRID], right[CONSORT_MAX_GRID];
    for (int l = 0; l < 8; l++) {
        consort_ring_extend_grid(a + l * m, plan, count, left);
        consort_ring_extend_grid(b + l * m, plan, count, right);
        for (size_t g = 0; g < count; g++) out[l][g] = 0;
        consort_ring_multiply_add(out[l], left, right, count);
    }
}

void consort_ring_extend_grid(const uint64_t *values, const int32_t *plan, size_t count, uint64_t *grid) {
    for (size_t g = 0; g < count; g++) {
        int32_t first = plan[2 * g], second = plan[2 * g + 1];
        grid[g] = second < 0 ? values[first] : grid[first] - grid[second];
    }
}

void consort_ring_accumulate_product(const uint64_t *a, const uint64_t *b, uint64_t *wide, size_t degree) {
#if defined(__x86_64__)
    // Other degrees (none in use) take AVX2's AXPYs: AVX-512 AXPYs into overlapping windows of wide are slower.
    if (has_avx512() && degree == 48) {
        accumulate_product_avx512(a, b, wide);
        return;
    }
    if (has_avx2()) {
        for (size_t i = 0; i < degree; i++) axpy_avx2(wide + i, b, a[i], degree);
        return;
    }
#endif
    for (size_t i = 0; i < degree; i++) axpy_portable(wide + i, b, a[i], degree);
}

void consort_ring_fold_pairs(const uint64_t *basis, size_t m, uint64_t *pairs) {
    for (size_t i = 0; i < 48; i++) pairs[i] = 0;
    for (size_t j = 0; j + 1 < m; j += 2)
        for (size_t i = 0; i < 48; i++) pairs[i] += basis[j * 48 + i] * basis[(j + 1) * 48 + i];
}

void consort_ring_fold_rows(
    const uint64_t *basis, const uint64_t *pairs, const uint64_t *a, const uint64_t *b, size_t m, uint64_t *left,
    uint64_t *right) {
#if defined(__x86_64__)
    if (has_avx512() && m % 2 == 0) {
        fold_rows_avx512(basis, pairs, a, b, m, left, right);
        return;
    }
    if (has_avx2() && m % 2 == 0) {
        fold_rows_avx2(basis, pairs, a, b, m, left, right);
        return;
    }
#endif
    (void)pairs;
    for (size_t j = 0; j < m; j++) {
        axpy_portable(left, basis + j * 48, a[j], 48);
        axpy_portable(right, basis + j * 48, b[j], 48);
    }
}

void consort_ring_multiply_exceptional(const uint64_t *x, uint64_t r, uint64_t *out) {
#if defined(__x86_64__)
    if (has_avx512()) {
        multiply_exceptional_avx512(x, r, out);
        return;
    }
    if (has_avx2()) {
        uint64_t wide[96] = {0};
        for (uint64_t bits = r & ((UINT64_C(1) << 48) - 1); bits != 0; bits &= bits - 1)
            add_avx2(wide + __builtin_ctzll(bits), x, 48);
        reduce_avx2(wide, out);
        return;
    }
#endif
    uint64_t wide[95] = {0};
    for (int t = 0; t < 48; t++)
        if ((r >> t) & 1) add_portable(wide + t, x, 48);
    reduce_portable(wide, out);
}

void consort_ring_fold_exceptional(uint64_t *x, size_t half, uint64_t r) {
#if defined(__x86_64__)
    if (has_avx512()) {
        fold_exceptional_avx512(x, half, r);
        return;
    }
    if (has_avx2()) {
        fold_exceptional_avx2(x, half, r);
        return;
    }
#endif
    uint64_t wide[95], delta[48];
    for (size_t k = 0; k < half; k++) {
        uint64_t *lo = x + k * 48, *hi = x + (k + half) * 48;
        for (int i = 0; i < 48; i++) delta[i] = hi[i] - lo[i];
        for (int i = 0; i < 95; i++) wide[i] = 0;
        for (uint64_t bits = r; bits != 0; bits &= bits - 1) add_portable(wide + __builtin_ctzll(bits), delta, 48);
        reduce_portable(wide, delta);
        for (int i = 0; i < 48; i++) lo[i] += delta[i];
    }
}

int consort_ring_vectorised(void) {
#if defined(__x86_64__)
    return has_avx512() ? 2 : has_avx2();
#else
    return 0;
#endif
}
