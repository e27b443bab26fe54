#include "consort_ring.h"

#include <stdatomic.h>

static atomic_int forced_portable = 0;

void consort_ring_use_portable(int portable) { atomic_store(&forced_portable, portable); }

#if defined(__x86_64__)
#include <immintrin.h>
#define CONSORT_AVX2 __attribute__((target("avx2")))

static int has_avx2(void) {
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("avx2");
    return cached && !atomic_load_explicit(&forced_portable, memory_order_relaxed);
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
#endif

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

void consort_ring_axpy(uint64_t *y, const uint64_t *x, uint64_t a, size_t n) {
#if defined(__x86_64__)
    if (has_avx2()) {
        axpy_avx2(y, x, a, n);
        return;
    }
#endif
    axpy_portable(y, x, a, n);
}

void consort_ring_multiply_add(uint64_t *y, const uint64_t *a, const uint64_t *b, size_t n) {
#if defined(__x86_64__)
    if (has_avx2()) {
        multiply_add_avx2(y, a, b, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) y[i] += a[i] * b[i];
}

void consort_ring_extend_grid(const uint64_t *values, const int32_t *plan, size_t count, uint64_t *grid) {
    for (size_t g = 0; g < count; g++) {
        int32_t first = plan[2 * g], second = plan[2 * g + 1];
        grid[g] = second < 0 ? values[first] : grid[first] - grid[second];
    }
}

void consort_ring_accumulate_product(const uint64_t *a, const uint64_t *b, uint64_t *wide, size_t degree) {
#if defined(__x86_64__)
    if (has_avx2()) {
        for (size_t i = 0; i < degree; i++) axpy_avx2(wide + i, b, a[i], degree);
        return;
    }
#endif
    for (size_t i = 0; i < degree; i++) axpy_portable(wide + i, b, a[i], degree);
}

void consort_ring_combine_columns(
    const uint64_t *mu, const uint64_t *lambda, const uint64_t *a, const uint64_t *b, size_t stride, size_t m,
    size_t degree, uint64_t *left, uint64_t *right) {
#if defined(__x86_64__)
    if (has_avx2()) {
        for (size_t j = 0; j < m; j++) {
            axpy_avx2(left, mu + j * degree, a[j * stride], degree);
            axpy_avx2(right, lambda + j * degree, b[j * stride], degree);
        }
        return;
    }
#endif
    for (size_t j = 0; j < m; j++) {
        axpy_portable(left, mu + j * degree, a[j * stride], degree);
        axpy_portable(right, lambda + j * degree, b[j * stride], degree);
    }
}

int consort_ring_vectorised(void) {
#if defined(__x86_64__)
    return has_avx2();
#else
    return 0;
#endif
}
