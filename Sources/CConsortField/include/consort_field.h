#ifndef CONSORT_FIELD_H
#define CONSORT_FIELD_H

#include <stddef.h>
#include <stdint.h>

/// GF(2^64) = GF(2)[X]/(X^64 + X^4 + X^3 + X + 1), elements as 64-bit words (bit i: the coefficient of X^i).
/// Carry-less multiplication with PCLMULQDQ where the CPU has it, a portable loop otherwise.

/// a·b.
uint64_t consort_gf64_multiply(uint64_t a, uint64_t b);

/// Σᵢ a[i]·b[i], reduced once.
uint64_t consort_gf64_dot(const uint64_t *a, const uint64_t *b, size_t count);

/// One binary round of an inner-product proof on u, v of length 2·half: c0 = Σ u_lo·v_lo, c2 = Σ (u_hi + u_lo)·(v_hi + v_lo).
void consort_gf64_round(const uint64_t *u, const uint64_t *v, size_t half, uint64_t *c0, uint64_t *c2);

/// x_lo ← x_lo + r·(x_hi + x_lo) for the 2·half elements of x (the fold after a round's challenge r).
void consort_gf64_fold(uint64_t *x, size_t half, uint64_t r);

/// The first round of the AND-gate proof on bytes of 8 gates each: for k < 7,
/// out[k] = Σ_w rho[w]·f[k][a[w]]·g[k][b[w]] (f, g: 7 tables of 256 elements each), and for each bit j < 8,
/// diagonal[j] = Σ of rho[w] over the w whose byte a[w] & b[w] has bit j set.
void consort_gf64_first_round(
    const uint8_t *a, const uint8_t *b, const uint64_t *rho, size_t groups, const uint64_t *f, const uint64_t *g,
    uint64_t *out, uint64_t *diagonal);

/// The vectors after the first round: u[w] = rho[w]·f[a[w]], v[w] = g[b[w]] (f, g: tables of 256 elements).
void consort_gf64_fold_first(
    const uint8_t *a, const uint8_t *b, const uint64_t *rho, size_t groups, const uint64_t *f, const uint64_t *g,
    uint64_t *u, uint64_t *v);

/// Σ_w rho[w]·t[e[w]] (t: a table of 256 elements).
uint64_t consort_gf64_weighted_lookup(const uint8_t *e, const uint64_t *rho, size_t groups, const uint64_t *t);

#endif
