#include "consort_field.h"

#include <stdatomic.h>

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

/// 0: the best loops the CPU has; 1: portable C; 2: PCLMULQDQ at most, one product at a time (tests).
static atomic_int forced_path = 0;

static int has_pclmul(void) {
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    return cached && atomic_load_explicit(&forced_path, memory_order_relaxed) != 1;
}

#define CONSORT_VPCLMUL_TARGET __attribute__((target("avx512f,avx512bw,vpclmulqdq,pclmul,sse4.1")))

/// VPCLMULQDQ on 512-bit vectors: eight products at once, reduced in the vector.
static int has_vpclmul(void) {
    static int cached = -1;
    if (cached < 0)
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
                 && __builtin_cpu_supports("vpclmulqdq");
    return cached && atomic_load_explicit(&forced_path, memory_order_relaxed) == 0;
}

/// `reduce` on eight products, their low and high words in `lo` and `hi`.
CONSORT_VPCLMUL_TARGET static inline __m512i reduce8(__m512i lo, __m512i hi) {
    __m512i carry = _mm512_xor_si512(
        _mm512_xor_si512(_mm512_srli_epi64(hi, 63), _mm512_srli_epi64(hi, 61)), _mm512_srli_epi64(hi, 60));
    __m512i folded = _mm512_xor_si512(
        _mm512_xor_si512(hi, _mm512_slli_epi64(hi, 1)), _mm512_xor_si512(_mm512_slli_epi64(hi, 3), _mm512_slli_epi64(hi, 4)));
    folded = _mm512_xor_si512(folded, _mm512_xor_si512(_mm512_xor_si512(carry, _mm512_slli_epi64(carry, 1)),
                                                       _mm512_xor_si512(_mm512_slli_epi64(carry, 3), _mm512_slli_epi64(carry, 4))));
    return _mm512_xor_si512(lo, folded);
}

/// a[i]·b[i] for the eight words of each.
CONSORT_VPCLMUL_TARGET static inline __m512i multiply8(__m512i a, __m512i b) {
    __m512i even = _mm512_clmulepi64_epi128(a, b, 0x00);
    __m512i odd = _mm512_clmulepi64_epi128(a, b, 0x11);
    return reduce8(_mm512_unpacklo_epi64(even, odd), _mm512_unpackhi_epi64(even, odd));
}

CONSORT_VPCLMUL_TARGET static void fold_vpclmul(uint64_t *x, size_t half, uint64_t r) {
    __m512i factor = _mm512_set1_epi64((long long)r);
    size_t i = 0;
    for (; i + 8 <= half; i += 8) {
        __m512i lo = _mm512_loadu_si512(x + i);
        __m512i delta = _mm512_xor_si512(_mm512_loadu_si512(x + half + i), lo);
        _mm512_storeu_si512(x + i, _mm512_xor_si512(lo, multiply8(factor, delta)));
    }
    for (; i < half; i++) x[i] ^= reduce(unpack(clmul(r, x[i + half] ^ x[i])));
}

CONSORT_CLMUL_TARGET static uint64_t multiply_fast(uint64_t a, uint64_t b) { return reduce(unpack(clmul(a, b))); }

CONSORT_CLMUL_TARGET static void fold_fast(uint64_t *x, size_t half, uint64_t r) {
    for (size_t i = 0; i < half; i++) x[i] ^= reduce(unpack(clmul(r, x[i + half] ^ x[i])));
}

#else
static atomic_int forced_path = 0;
static int has_pclmul(void) { return 0; }
static int has_vpclmul(void) { return 0; }
static uint64_t multiply_fast(uint64_t a, uint64_t b) { return 0; }
static void fold_fast(uint64_t *x, size_t half, uint64_t r) {}
#endif

static uint64_t multiply_portable(uint64_t a, uint64_t b) { return reduce(clmul_portable(a, b)); }

uint64_t consort_gf64_multiply(uint64_t a, uint64_t b) {
    return has_pclmul() ? multiply_fast(a, b) : multiply_portable(a, b);
}

// --- A round of v variables of the inner-product proof ---------------------------------------------------------------

enum { GRID_MAX = 81 };

/// Per point z of {0,1,∞}^v (base-3 digits, digit i for variable i, 2 = ∞): {row, -1} off ∞ (the row's bit i is
/// digit i), else {z − 3^i, z − 2·3^i} for its first ∞ digit i (in characteristic 2 a coefficient is the value at 1
/// plus the value at 0).
static int round_plan(int variables, int plan[GRID_MAX][2]) {
    int size = 1;
    for (int i = 0; i < variables; i++) size *= 3;
    for (int z = 0; z < size; z++) {
        int digits = z, power = 1, row = 0, infinity = 0;
        for (int i = 0; i < variables; i++, digits /= 3, power *= 3) {
            int digit = digits % 3;
            if (digit == 2 && !infinity) infinity = power;
            row |= (digit & 1) << i;
        }
        plan[z][0] = infinity ? z - infinity : row;
        plan[z][1] = infinity ? z - 2 * infinity : -1;
    }
    return size;
}

/// The grid values of block t's u and v (positions t + offsets[row]).
static inline void extend_round(
    const uint64_t *x, size_t t, const size_t *offsets, int plan[GRID_MAX][2], int size, uint64_t *out) {
    for (int z = 0; z < size; z++)
        out[z] = plan[z][1] < 0 ? x[t + offsets[plan[z][0]]] : out[plan[z][0]] ^ out[plan[z][1]];
}

#if defined(__x86_64__)
CONSORT_CLMUL_TARGET static void round_grid_fast(
    const uint64_t *u, const uint64_t *v, size_t block, const size_t *offsets, int plan[GRID_MAX][2], int size,
    uint64_t *values) {
    __m128i sums[GRID_MAX];
    for (int z = 0; z < size; z++) sums[z] = _mm_setzero_si128();
    uint64_t eu[GRID_MAX], ev[GRID_MAX];
    for (size_t t = 0; t < block; t++) {
        extend_round(u, t, offsets, plan, size, eu);
        extend_round(v, t, offsets, plan, size, ev);
        for (int z = 1; z < size; z++) sums[z] = _mm_xor_si128(sums[z], clmul(eu[z], ev[z]));
    }
    for (int z = 1; z < size; z++) values[z - 1] = reduce(unpack(sums[z]));
}
#endif

void consort_gf64_round_grid(const uint64_t *u, const uint64_t *v, size_t length, int variables, uint64_t *values) {
    int plan[GRID_MAX][2];
    int size = round_plan(variables, plan);
    size_t block = length >> variables, offsets[1 << 4];
    for (int row = 0; row < (1 << variables); row++) {
        offsets[row] = 0;
        for (int i = 0; i < variables; i++)
            if ((row >> i) & 1) offsets[row] += length >> (i + 1);
    }
#if defined(__x86_64__)
    if (has_pclmul()) {
        round_grid_fast(u, v, block, offsets, plan, size, values);
        return;
    }
#endif
    uint64_t eu[GRID_MAX], ev[GRID_MAX];
    for (int z = 1; z < size; z++) values[z - 1] = 0;
    for (size_t t = 0; t < block; t++) {
        extend_round(u, t, offsets, plan, size, eu);
        extend_round(v, t, offsets, plan, size, ev);
        for (int z = 1; z < size; z++) values[z - 1] ^= multiply_portable(eu[z], ev[z]);
    }
}

void consort_gf64_use_path(int path) { atomic_store(&forced_path, path); }

void consort_gf64_fold(uint64_t *x, size_t half, uint64_t r) {
#if defined(__x86_64__)
    if (has_vpclmul()) {
        fold_vpclmul(x, half, r);
        return;
    }
#endif
    if (has_pclmul()) {
        fold_fast(x, half, r);
        return;
    }
    for (size_t i = 0; i < half; i++) x[i] ^= multiply_portable(r, x[i + half] ^ x[i]);
}

// --- The AND gates' first round on the grid {0,1,∞}^6 of a word's 64 gates ------------------------------------------

/// spread4[x] puts bit k of the byte x at bit 4k: OR-ing spread4 of four words' byte b, shifted by 0..3, gives the
/// four-bit masks of the bits 8b ..< 8b + 8 of all four at once (nibble k = the mask of bit 8b + k).
static uint32_t spread4[256];

static void build_spread4(void) {
    for (int x = 0; x < 256; x++) {
        uint32_t value = 0;
        for (int k = 0; k < 8; k++) value |= (uint32_t)((x >> k) & 1) << (4 * k);
        spread4[x] = value;
    }
}

/// masks[t] = Σ_i bit t of weights[i] · 2^i, for the `count` (≤ 4) weights.
static inline void weight_masks(const uint64_t *weights, size_t count, uint8_t masks[64]) {
    for (int b = 0; b < 8; b++) {
        uint32_t nibbles = 0;
        for (size_t i = 0; i < count; i++) nibbles |= spread4[(weights[i] >> (8 * b)) & 0xff] << i;
        for (int k = 0; k < 8; k++) masks[8 * b + k] = (uint8_t)((nibbles >> (4 * k)) & 0xf);
    }
}

/// grid3[x] bit z (z < 27, base-3 digits d0 d1 d2, digit 2 = ∞) = the multilinear extension of the byte x (bit
/// d0 + 2·d1 + 4·d2) at z, where ∞ is the coefficient of that variable: the value at 1 plus the value at 0.
static uint32_t grid3[256];
/// Per point: (row, −1) off ∞, else (z − 3^i, z − 2·3^i) for its first ∞ digit i (made with the table).
static int8_t plan3[27][2];

/// The grid values of 8 items (of a byte's bits, or of 8 bytes' 27-bit grids) from their values on {0,1}^3.
static inline void extend3(const uint32_t in[8], uint32_t out[27]) {
    for (int z = 0; z < 27; z++) {
        int first = plan3[z][0], second = plan3[z][1];
        out[z] = second < 0 ? in[first] : out[first] ^ out[second];
    }
}

static void build_grid3(void) {
    build_spread4();
    for (int z = 0; z < 27; z++) {
        int digits[3] = {z % 3, z / 3 % 3, z / 9}, power = 1, infinity = 0;
        for (int i = 0; i < 3 && !infinity; i++, power *= 3)
            if (digits[i] == 2) infinity = power;
        plan3[z][0] = (int8_t)(infinity ? z - infinity : digits[0] + 2 * digits[1] + 4 * digits[2]);
        plan3[z][1] = (int8_t)(infinity ? z - 2 * infinity : -1);
    }
    for (int x = 0; x < 256; x++) {
        uint32_t bits[8], values[27];
        for (int j = 0; j < 8; j++) bits[j] = (uint32_t)(x >> j) & 1;
        extend3(bits, values);
        uint32_t packed = 0;
        for (int z = 0; z < 27; z++) packed |= values[z] << z;
        grid3[x] = packed;
    }
}

static void ensure_grid3(void) {
    static int ready = 0;
    if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
        build_grid3();  // idempotent: racing threads write the same table
        __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    }
}

/// The 729 grid bits of a word of 64 gates (bit j: row j, variables = the bits of j), as 27 chunks of 27 bits: chunk c
/// holds the points z = 27·c + k, c for the variables 3..5, k for 0..2.
static inline void extend_word(uint64_t word, uint32_t out[27]) {
    // One variable at a time (3, 4, 5 = bits 0, 1, 2 of the byte index), each doubling into (0, 1, ∞): the same
    // values as extend3 over the bytes, in straight-line code.
    uint32_t first[12], second[18];
    for (int rest = 0; rest < 4; rest++) {
        uint32_t zero = grid3[(word >> (16 * rest)) & 0xff], one = grid3[(word >> (16 * rest + 8)) & 0xff];
        first[3 * rest] = zero;
        first[3 * rest + 1] = one;
        first[3 * rest + 2] = zero ^ one;
    }
    for (int high = 0; high < 2; high++)
        for (int low = 0; low < 3; low++) {
            uint32_t zero = first[low + 3 * (2 * high)], one = first[low + 3 * (2 * high + 1)];
            second[low + 9 * high] = zero;
            second[low + 3 + 9 * high] = one;
            second[low + 6 + 9 * high] = zero ^ one;
        }
    for (int low = 0; low < 9; low++) {
        out[low] = second[low];
        out[low + 9] = second[low + 9];
        out[low + 18] = second[low] ^ second[low + 9];
    }
}

/// Groups of four words whose subset grids are built before the planes take them: a plane's row then stays in
/// registers across the batch (one load and one XOR per group, no store), instead of a load, XOR and store per group.
enum { BATCH_GROUPS = 8 };

#if defined(__x86_64__)
__attribute__((target_clones("avx2", "default")))
#endif
void consort_gf64_grid_first_round(
    const uint64_t *a, const uint64_t *b, const uint64_t *rho, size_t words, uint64_t *p) {
    ensure_grid3();
    // planes[t][c] bit k: coefficient t of p(27·c + k). Four words a group ("four Russians"): the 16 XORs of their
    // grids' products, then bit t of the four weights picks one (subset 0 is zero).
    // Rows of 32 chunks (27 used), so the XORs below run on whole vectors.
    uint32_t subsets[BATCH_GROUPS][16][32];
    uint32_t planes[64][32];
    uint8_t masks[BATCH_GROUPS][64];
    for (int t = 0; t < 64; t++)
        for (int c = 0; c < 32; c++) planes[t][c] = 0;
    for (size_t first = 0; first < words; first += 4 * BATCH_GROUPS) {
        int groups = 0;
        for (; groups < BATCH_GROUPS && first + 4 * (size_t)groups < words; groups++) {
            size_t start = first + 4 * (size_t)groups;
            size_t count = words - start < 4 ? words - start : 4;
            uint32_t(*sub)[32] = subsets[groups];
            for (int c = 0; c < 32; c++) sub[0][c] = 0;
            for (size_t i = 0; i < count; i++) {
                uint32_t fa[27], gb[27];
                extend_word(a[start + i], fa);
                extend_word(b[start + i], gb);
                for (int c = 0; c < 27; c++) sub[1 << i][c] = fa[c] & gb[c];
                for (int c = 27; c < 32; c++) sub[1 << i][c] = 0;
            }
            for (size_t mask = 3; mask < ((size_t)1 << count); mask++) {
                if ((mask & (mask - 1)) == 0) continue;
                size_t low = mask & (~mask + 1);
                for (int c = 0; c < 32; c++) sub[mask][c] = sub[mask ^ low][c] ^ sub[low][c];
            }
            weight_masks(rho + start, count, masks[groups]);
        }
        for (int t = 0; t < 64; t++) {
            uint32_t row[32];
            for (int c = 0; c < 32; c++) row[c] = planes[t][c];
            for (int g = 0; g < groups; g++) {
                const uint32_t *sum = subsets[g][masks[g][t]];
                for (int c = 0; c < 32; c++) row[c] ^= sum[c];
            }
            for (int c = 0; c < 32; c++) planes[t][c] = row[c];
        }
    }
    for (int c = 0; c < 27; c++)
        for (int k = 0; k < 27; k++) {
            uint64_t value = 0;
            for (int t = 0; t < 64; t++) value |= (uint64_t)((planes[t][c] >> k) & 1) << t;
            p[27 * c + k] = value;
        }
}

/// Σ_k tables[256·k + byte k of x]: a GF(2)-linear map of x's 64 bits by its 8 byte tables.
static inline uint64_t table_lookup(const uint64_t *tables, uint64_t x) {
    uint64_t value = 0;
    for (int byte = 0; byte < 8; byte++) value ^= tables[256 * byte + ((x >> (8 * byte)) & 0xff)];
    return value;
}

#if defined(__x86_64__)
/// `consort_gf64_grid_fold_first` with the products eight at a time.
CONSORT_VPCLMUL_TARGET static void grid_fold_first_vpclmul(
    const uint64_t *a, const uint64_t *b, const uint64_t *rho, size_t words, const uint64_t *tables, uint64_t *u,
    uint64_t *v) {
    size_t w = 0;
    uint64_t f[8];
    for (; w + 8 <= words; w += 8) {
        for (int k = 0; k < 8; k++) {
            f[k] = table_lookup(tables, a[w + k]);
            v[w + k] = table_lookup(tables, b[w + k]);
        }
        _mm512_storeu_si512(u + w, multiply8(_mm512_loadu_si512(rho + w), _mm512_loadu_si512(f)));
    }
    for (; w < words; w++) {
        u[w] = multiply_fast(rho[w], table_lookup(tables, a[w]));
        v[w] = table_lookup(tables, b[w]);
    }
}
#endif

void consort_gf64_grid_fold_first(
    const uint64_t *a, const uint64_t *b, const uint64_t *rho, size_t words, const uint64_t *tables, uint64_t *u,
    uint64_t *v) {
#if defined(__x86_64__)
    if (has_vpclmul()) {
        grid_fold_first_vpclmul(a, b, rho, words, tables, u, v);
        return;
    }
#endif
    int fast = has_pclmul();
    for (size_t w = 0; w < words; w++) {
        uint64_t f = table_lookup(tables, a[w]);
        u[w] = fast ? multiply_fast(rho[w], f) : multiply_portable(rho[w], f);
        v[w] = table_lookup(tables, b[w]);
    }
}

/// Σ_w rho[w]·T(e[w]), T by the byte tables: the products' 128-bit halves XORed, one reduction at the end.
#if defined(__x86_64__)
CONSORT_CLMUL_TARGET static uint64_t weighted_sum_fast(
    const uint64_t *e, const uint64_t *rho, size_t words, const uint64_t *tables) {
    __m128i total = _mm_setzero_si128();
    for (size_t w = 0; w < words; w++)
        total = _mm_xor_si128(total, clmul(rho[w], table_lookup(tables, e[w])));
    return reduce(unpack(total));
}
#else
static uint64_t weighted_sum_fast(const uint64_t *e, const uint64_t *rho, size_t words, const uint64_t *tables) {
    return 0;
}
#endif

uint64_t consort_gf64_weighted_sum(const uint64_t *e, const uint64_t *rho, size_t words, const uint64_t *tables) {
    if (has_pclmul()) return weighted_sum_fast(e, rho, words, tables);
    uint64_t total = 0;
    for (size_t w = 0; w < words; w++) total ^= multiply_portable(rho[w], table_lookup(tables, e[w]));
    return total;
}
