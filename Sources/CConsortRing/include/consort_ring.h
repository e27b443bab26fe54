#ifndef CONSORT_RING_H
#define CONSORT_RING_H

#include <stddef.h>
#include <stdint.h>

/// Loops over Z_2^64 (wrapping 64-bit arithmetic) for the Galois-ring proofs: AVX-512 (with AVX512DQ's 64-bit
/// multiply) or AVX2 where the CPU has it (checked once at run time), portable C otherwise; all give the same words.

/// y[i] += x[i] for i < n.
void consort_ring_add(uint64_t *y, const uint64_t *x, size_t n);

/// y[i] += a · x[i] for i < n.
void consort_ring_axpy(uint64_t *y, const uint64_t *x, uint64_t a, size_t n);

/// y[i] += a[i] · b[i] for i < n.
void consort_ring_multiply_add(uint64_t *y, const uint64_t *a, const uint64_t *b, size_t n);

/// s[t·size + z] += Σ_q subsets[(16·q + masks[48·q + t])·size + z] for t < 48, z < size, q < quads: the Galois-ring
/// weights of `quads` groups of four applied at once, each group's 16 subset sums (subset 0 zero) selected per
/// coefficient t by which of its four weights have bit t. One pass over s for all the groups instead of one each.
void consort_ring_add_selected(uint64_t *s, const uint64_t *subsets, const uint8_t *masks, size_t quads, size_t size);

/// Extends the values of a multilinear polynomial on {0,1}^m (`values`, index bits = coordinates) to the grid
/// {0,1,∞}^m (`grid`, `count` = 3^m points, base-3 digits = coordinates, digit 2 = ∞ = the coefficient of that
/// variable): plan[2g] ≥ 0 and plan[2g+1] < 0 copy values[plan[2g]], otherwise grid[g] = grid[plan[2g]] −
/// grid[plan[2g+1]] (both earlier points).
void consort_ring_extend_grid(const uint64_t *values, const int32_t *plan, size_t count, uint64_t *grid);

/// The largest grid the proofs use: {0,1,∞}^6.
#define CONSORT_MAX_GRID 729

/// For eight consecutive positions l < 8 (rows a[l·m ..< (l+1)·m], b likewise): out[l][z] = A_l(z)·B_l(z) on the
/// grid of `count` ≤ CONSORT_MAX_GRID points (`consort_ring_extend_grid`'s plan), A_l, B_l the extensions of the
/// positions' rows.
void consort_ring_grid_products8(
    const uint64_t *a, const uint64_t *b, size_t m, const int32_t *plan, size_t count, uint64_t *const *out);

/// Schoolbook product of two polynomials of `degree` coefficients, added into wide[0 ..< 2·degree − 1].
void consort_ring_accumulate_product(const uint64_t *a, const uint64_t *b, uint64_t *wide, size_t degree);

/// pairs[i] = Σ_i basis[2i·48 + i] · basis[(2i+1)·48 + i] for i < 48: made once per basis for `consort_ring_fold_rows`.
void consort_ring_fold_pairs(const uint64_t *basis, size_t m, uint64_t *pairs);

/// left[i] += Σ_j basis[j·48 + i] · a[j] and right[i] += Σ_j basis[j·48 + i] · b[j] for i < 48, j < m: one
/// position's rows combined with the first challenge's basis (48 = the Galois ring's degree); `pairs` from
/// `consort_ring_fold_pairs`. The AVX2 path (m even) takes Winograd's inner product: half the products.
void consort_ring_fold_rows(
    const uint64_t *basis, const uint64_t *pairs, const uint64_t *a, const uint64_t *b, size_t m, uint64_t *left,
    uint64_t *right);

/// x_lo ← x_lo + r·(x_hi − x_lo) for the first `half` of 2·half Galois-ring elements (48 words each), r exceptional
/// (its 48 bits): a later round's fold, per variable, reduced modulo X^48 + X^9 + X^7 + X^4 + 1.
void consort_ring_fold_exceptional(uint64_t *x, size_t half, uint64_t r);

/// out = r·x reduced (one Galois-ring element, 48 words; out may be x), r exceptional (its 48 bits).
void consort_ring_multiply_exceptional(const uint64_t *x, uint64_t r, uint64_t *out);

/// The loops in use: 0 portable, 1 AVX2, 2 AVX-512 where it has them (the rest AVX2).
int consort_ring_vectorised(void);

/// Tests: 1 makes every call take the portable loops, 2 the AVX2 ones at most, 0 the best again (the results are the
/// same either way).
void consort_ring_use_path(int path);

#endif
