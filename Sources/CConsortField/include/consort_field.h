#ifndef CONSORT_FIELD_H
#define CONSORT_FIELD_H

#include <stddef.h>
#include <stdint.h>

/// GF(2^64) = GF(2)[X]/(X^64 + X^4 + X^3 + X + 1), elements as 64-bit words (bit i: the coefficient of X^i).
/// Carry-less multiplication with PCLMULQDQ where the CPU has it (the folds eight products at a time with
/// AVX-512's VPCLMULQDQ where it has that), a portable loop otherwise; every path gives the same words.

/// a·b.
uint64_t consort_gf64_multiply(uint64_t a, uint64_t b);

/// A round of `variables` (1...4) variables of an inner-product proof on u, v of `length` elements (a power of two,
/// at least 2^variables), variable i picking the half at offset length >> (i + 1): values[z − 1] = Σ_t U_t(z)·V_t(z)
/// for the 3^variables − 1 points z ≠ 0 of the grid {0,1,∞}^variables (base-3 digits, digit i for variable i, 2 = ∞:
/// the variable's coefficient), U_t, V_t the multilinear polynomials through block t's 2^variables elements.
void consort_gf64_round_grid(const uint64_t *u, const uint64_t *v, size_t length, int variables, uint64_t *values);

/// x_lo ← x_lo + r·(x_hi + x_lo) for the 2·half elements of x (the fold after a round's challenge r).
void consort_gf64_fold(uint64_t *x, size_t half, uint64_t r);

/// The AND gates' first round on the grid {0,1,∞}^6 (`BooleanProof`): for each of the 729 points z (base-3 digits,
/// digit 2 = ∞), p[z] = Σ_w rho[w]·A_w(z)·B_w(z), where A_w, B_w are the multilinear extensions of the 64 bits of a[w],
/// b[w] (bit j at the point of {0,1}^6 with the bits of j; at ∞ a variable's coefficient).
void consort_gf64_grid_first_round(
    const uint64_t *a, const uint64_t *b, const uint64_t *rho, size_t words, uint64_t *p);

/// The vectors after that round: u[w] = rho[w]·A_w(r), v[w] = B_w(r), where tables holds 8 tables of 256 elements,
/// table k at byte x = Σ_{bit i of x} e_{8k+i}(r) (e_j the multilinear basis of row j at the challenge r).
void consort_gf64_grid_fold_first(
    const uint64_t *a, const uint64_t *b, const uint64_t *rho, size_t words, const uint64_t *tables, uint64_t *u,
    uint64_t *v);

/// Σ_w rho[w]·T(e[w]), where T(x) = Σ_{bit j of x} t_j is given as 8 byte tables like those above (the
/// weighted sum of a statement's e over its words and rows).
uint64_t consort_gf64_weighted_sum(const uint64_t *e, const uint64_t *rho, size_t words, const uint64_t *tables);

/// Tests: 1 makes every call take the portable loops, 2 PCLMULQDQ at most, 0 the best again.
void consort_gf64_use_path(int path);

#endif
