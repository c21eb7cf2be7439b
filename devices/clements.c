/* Clements decomposition of a unitary into a rectangular MZI mesh (Clements
 * et al., "Optimal design for universal multiport interferometers", Optica
 * 2016), Haar-random unitaries (Mezzadri 2007), a one-sided Jacobi real SVD
 * (Hestenes 1958) and the SVD photonic core U A V^T built from two meshes. */
#include "devices/dev_int.h"

#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TWO_PI (2.0 * M_PI)

static double wrap_2pi(double a)
{
    double r = fmod(a, TWO_PI);
    if (r < 0.0)
        r += TWO_PI;
    if (r >= TWO_PI)
        r = 0.0;
    return r;
}

/* ---- Haar unitaries ------------------------------------------------------- */
int dev_haar_unitary(dev_cplx_t *U, size_t n, sim_rng_t *rng)
{
    if (!U || !rng || n == 0)
        return SIM_ERR_CONFIG;
    for (size_t i = 0; i < n * n; i++) {
        double re = sim_rng_next_normal(rng), im = sim_rng_next_normal(rng);
        U[i] = (re + im * _Complex_I) / sqrt(2.0);
    }
    /* modified Gram-Schmidt over columns, two passes */
    for (size_t j = 0; j < n; j++) {
        for (int pass = 0; pass < 2; pass++) {
            for (size_t k = 0; k < j; k++) {
                dev_cplx_t dot = 0;
                for (size_t i = 0; i < n; i++)
                    dot += conj(U[i * n + k]) * U[i * n + j];
                for (size_t i = 0; i < n; i++)
                    U[i * n + j] -= dot * U[i * n + k];
            }
        }
        double norm = 0.0;
        for (size_t i = 0; i < n; i++)
            norm += creal(U[i * n + j] * conj(U[i * n + j]));
        norm = sqrt(norm);
        if (norm == 0.0)
            return SIM_ERR;
        for (size_t i = 0; i < n; i++)
            U[i * n + j] /= norm;
    }
    return 0;
}

/* ---- Clements ------------------------------------------------------------- */
static void right_tinv(dev_cplx_t *A, size_t n, size_t c, double theta, double phi)
{ /* A <- A T^{-1} on columns (c, c+1) */
    double co = cos(theta), si = sin(theta);
    dev_cplx_t e = cexp(-phi * _Complex_I);
    for (size_t k = 0; k < n; k++) {
        dev_cplx_t x = A[k * n + c], y = A[k * n + c + 1];
        A[k * n + c] = x * e * co - y * si;
        A[k * n + c + 1] = x * e * si + y * co;
    }
}

static void left_t(dev_cplx_t *A, size_t n, size_t r, double theta, double phi)
{ /* A <- T A on rows (r, r+1) */
    double co = cos(theta), si = sin(theta);
    dev_cplx_t e = cexp(phi * _Complex_I);
    for (size_t k = 0; k < n; k++) {
        dev_cplx_t x = A[r * n + k], y = A[(r + 1) * n + k];
        A[r * n + k] = e * co * x - si * y;
        A[(r + 1) * n + k] = e * si * x + co * y;
    }
}

void dev_clements_free(dev_clements_t *c)
{
    if (!c)
        return;
    free(c->mzi);
    free(c->out_phase);
    memset(c, 0, sizeof *c);
}

static double unitarity_error(const dev_cplx_t *U, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            dev_cplx_t dot = 0;
            for (size_t k = 0; k < n; k++)
                dot += U[i * n + k] * conj(U[j * n + k]);
            double e = cabs(dot - (i == j ? 1.0 : 0.0));
            if (e > worst)
                worst = e;
        }
    return worst;
}

int dev_clements_decompose(const dev_cplx_t *U, size_t n, dev_clements_t *out)
{
    if (!U || !out || n == 0)
        return SIM_ERR_CONFIG;
    memset(out, 0, sizeof *out);
    if (!(unitarity_error(U, n) <= 1e-8))
        return SIM_ERR_CONFIG;
    size_t n_mzi = n * (n - 1) / 2;
    dev_cplx_t *A = malloc(n * n * sizeof *A);
    dev_mzi_t *left = malloc((n_mzi + 1) * sizeof *left);
    dev_mzi_t *right = malloc((n_mzi + 1) * sizeof *right);
    out->mzi = malloc((n_mzi + 1) * sizeof *out->mzi);
    out->out_phase = malloc(n * sizeof *out->out_phase);
    if (!A || !left || !right || !out->mzi || !out->out_phase) {
        free(A);
        free(left);
        free(right);
        dev_clements_free(out);
        return SIM_ERR_NOMEM;
    }
    memcpy(A, U, n * n * sizeof *A);
    size_t nl = 0, nr = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        for (size_t j = 0; j <= i; j++) {
            if (i % 2 == 0) { /* null A[n-1-j][i-j] with columns (i-j, i-j+1) */
                size_t r = n - 1 - j, c = i - j;
                dev_cplx_t a = A[r * n + c], b = A[r * n + c + 1];
                double theta = atan2(cabs(a), cabs(b));
                double phi = (cabs(a) > 0.0 && cabs(b) > 0.0) ? carg(a) - carg(b) : 0.0;
                right_tinv(A, n, c, theta, phi);
                right[nr++] = (dev_mzi_t){.mode = (uint32_t)c, .theta = theta, .phi = phi};
            } else { /* null A[n-1-i+j][j] with rows (n-2-i+j, n-1-i+j) */
                size_t r = n - 2 - i + j, c = j;
                dev_cplx_t a = A[r * n + c], b = A[(r + 1) * n + c];
                double theta = atan2(cabs(b), cabs(a));
                double phi = (cabs(a) > 0.0 && cabs(b) > 0.0) ? carg(-b) - carg(a) : 0.0;
                left_t(A, n, r, theta, phi);
                left[nl++] = (dev_mzi_t){.mode = (uint32_t)r, .theta = theta, .phi = phi};
            }
        }
    }
    /* A is now diagonal D: U = L_1^-1 ... L_k^-1 D R_p ... R_1. Move each
     * L^-1 through D: T^-1(theta, phi) D = D' T(theta, phi') with
     * phi' = arg(-d1/d2), d1' = -e^{-i phi} d2, d2' = d2. */
    dev_cplx_t *d = A; /* read the diagonal in place */
    size_t k = 0;
    for (size_t r = 0; r < nr; r++)
        out->mzi[k++] = right[r];
    for (size_t l = nl; l-- > 0;) {
        size_t m = left[l].mode;
        dev_cplx_t d1 = d[m * n + m], d2 = d[(m + 1) * n + m + 1];
        double phi_new = carg(-d1 / d2);
        d[m * n + m] = -cexp(-left[l].phi * _Complex_I) * d2;
        out->mzi[k++] = (dev_mzi_t){.mode = (uint32_t)m, .theta = left[l].theta, .phi = phi_new};
    }
    /* the last moved (l = 0) is applied last: order R_1..R_p, L'_k..L'_1 */
    for (size_t i = 0; i < n; i++)
        out->out_phase[i] = wrap_2pi(carg(d[i * n + i]));
    /* columns: each MZI goes in the first column after what touched its modes */
    size_t *last = calloc(n, sizeof *last), depth = 0;
    if (!last) {
        free(A);
        free(left);
        free(right);
        dev_clements_free(out);
        return SIM_ERR_NOMEM;
    }
    for (size_t q = 0; q < k; q++) {
        size_t m = out->mzi[q].mode;
        size_t col = last[m] > last[m + 1] ? last[m] : last[m + 1];
        out->mzi[q].column = (uint32_t)col;
        out->mzi[q].phi = wrap_2pi(out->mzi[q].phi);
        last[m] = last[m + 1] = col + 1;
        if (col + 1 > depth)
            depth = col + 1;
    }
    free(last);
    free(A);
    free(left);
    free(right);
    out->n = n;
    out->n_mzi = k;
    out->depth = depth;
    return 0;
}

static void mzi_apply(dev_cplx_t *x, size_t m, double theta, double phi)
{
    double co = cos(theta), si = sin(theta);
    dev_cplx_t e = cexp(phi * _Complex_I);
    dev_cplx_t a = x[m], b = x[m + 1];
    x[m] = e * co * a - si * b;
    x[m + 1] = e * si * a + co * b;
}

void dev_clements_apply(const dev_clements_t *c, dev_cplx_t *x, sim_rng_t *rng,
                        double sigma_phase)
{
    int noisy = rng && sigma_phase > 0.0;
    for (size_t q = 0; q < c->n_mzi; q++) {
        double theta = c->mzi[q].theta, phi = c->mzi[q].phi;
        if (noisy) {
            theta += sigma_phase * sim_rng_next_normal(rng);
            phi += sigma_phase * sim_rng_next_normal(rng);
        }
        mzi_apply(x, c->mzi[q].mode, theta, phi);
    }
    for (size_t i = 0; i < c->n; i++) {
        double p = c->out_phase[i];
        if (noisy)
            p += sigma_phase * sim_rng_next_normal(rng);
        x[i] *= cexp(p * _Complex_I);
    }
}

int dev_clements_matrix(const dev_clements_t *c, dev_cplx_t *U)
{
    if (!c || !U || c->n == 0)
        return SIM_ERR_CONFIG;
    size_t n = c->n;
    dev_cplx_t *col = malloc(n * sizeof *col);
    if (!col)
        return SIM_ERR_NOMEM;
    for (size_t j = 0; j < n; j++) {
        for (size_t i = 0; i < n; i++)
            col[i] = i == j ? 1.0 : 0.0;
        dev_clements_apply(c, col, NULL, 0.0);
        for (size_t i = 0; i < n; i++)
            U[i * n + j] = col[i];
    }
    free(col);
    return 0;
}

double dev_clements_phase_pi(const dev_clements_t *c)
{
    double sum = 0.0;
    for (size_t q = 0; q < c->n_mzi; q++)
        sum += 2.0 * c->mzi[q].theta + c->mzi[q].phi;
    for (size_t i = 0; i < c->n; i++)
        sum += c->out_phase[i];
    return sum / M_PI;
}

/* ---- real SVD (one-sided Jacobi) ------------------------------------------ */
int dev_svd_square(const double *A, size_t n, double *U, double *s, double *V)
{
    if (!A || !U || !s || !V || n == 0)
        return SIM_ERR_CONFIG;
    double *B = malloc(n * n * sizeof *B);
    size_t *order = malloc(n * sizeof *order);
    double *Vt = malloc(n * n * sizeof *Vt);
    if (!B || !order || !Vt) {
        free(B);
        free(order);
        free(Vt);
        return SIM_ERR_NOMEM;
    }
    memcpy(B, A, n * n * sizeof *B);
    for (size_t i = 0; i < n * n; i++)
        Vt[i] = (i / n == i % n) ? 1.0 : 0.0;
    const double tol = 4.0 * DBL_EPSILON;
    for (int sweep = 0; sweep < 80; sweep++) {
        int rotated = 0;
        for (size_t p = 0; p + 1 < n; p++)
            for (size_t q = p + 1; q < n; q++) {
                double alpha = 0.0, beta = 0.0, gamma = 0.0;
                for (size_t i = 0; i < n; i++) {
                    double bp = B[i * n + p], bq = B[i * n + q];
                    alpha += bp * bp;
                    beta += bq * bq;
                    gamma += bp * bq;
                }
                if (gamma == 0.0 || fabs(gamma) <= tol * sqrt(alpha * beta))
                    continue;
                rotated = 1;
                double zeta = (beta - alpha) / (2.0 * gamma);
                double t = (zeta >= 0.0 ? 1.0 : -1.0) / (fabs(zeta) + sqrt(1.0 + zeta * zeta));
                double c = 1.0 / sqrt(1.0 + t * t), sn = c * t;
                for (size_t i = 0; i < n; i++) {
                    double bp = B[i * n + p], bq = B[i * n + q];
                    B[i * n + p] = c * bp - sn * bq;
                    B[i * n + q] = sn * bp + c * bq;
                    double vp = Vt[i * n + p], vq = Vt[i * n + q];
                    Vt[i * n + p] = c * vp - sn * vq;
                    Vt[i * n + q] = sn * vp + c * vq;
                }
            }
        if (!rotated)
            break;
    }
    /* singular values = column norms; sort descending (stable selection) */
    double *norms = s;
    for (size_t j = 0; j < n; j++) {
        double acc = 0.0;
        for (size_t i = 0; i < n; i++)
            acc += B[i * n + j] * B[i * n + j];
        norms[j] = sqrt(acc);
        order[j] = j;
    }
    for (size_t a = 0; a < n; a++) {
        size_t best = a;
        for (size_t b = a + 1; b < n; b++)
            if (norms[order[b]] > norms[order[best]])
                best = b;
        size_t tmp = order[a];
        order[a] = order[best];
        order[best] = tmp;
    }
    double *sorted = malloc(n * sizeof *sorted);
    if (!sorted) {
        free(B);
        free(order);
        free(Vt);
        return SIM_ERR_NOMEM;
    }
    for (size_t j = 0; j < n; j++)
        sorted[j] = norms[order[j]];
    double smax = sorted[0];
    size_t rank = 0;
    for (size_t j = 0; j < n; j++) {
        size_t src = order[j];
        for (size_t i = 0; i < n; i++)
            V[i * n + j] = Vt[i * n + src];
        if (sorted[j] > 0.0 && sorted[j] > smax * 1e-14 * (double)n) {
            for (size_t i = 0; i < n; i++)
                U[i * n + j] = B[i * n + src] / sorted[j];
            rank = j + 1;
        } else {
            sorted[j] = sorted[j] > 0.0 ? sorted[j] : 0.0;
        }
    }
    /* complete U with unit vectors orthogonalised against what is there */
    size_t basis = 0;
    for (size_t j = rank; j < n; j++) {
        for (; basis < n; basis++) {
            for (size_t i = 0; i < n; i++)
                U[i * n + j] = i == basis ? 1.0 : 0.0;
            for (int pass = 0; pass < 2; pass++)
                for (size_t k = 0; k < j; k++) {
                    double dot = 0.0;
                    for (size_t i = 0; i < n; i++)
                        dot += U[i * n + k] * U[i * n + j];
                    for (size_t i = 0; i < n; i++)
                        U[i * n + j] -= dot * U[i * n + k];
                }
            double nn = 0.0;
            for (size_t i = 0; i < n; i++)
                nn += U[i * n + j] * U[i * n + j];
            nn = sqrt(nn);
            if (nn > 0.5) {
                for (size_t i = 0; i < n; i++)
                    U[i * n + j] /= nn;
                basis++;
                break;
            }
        }
        /* a rank-deficient column whose singular value was tiny but not 0:
         * the completed U column replaces B's direction; s is kept as the
         * small value (its contribution is below 1e-14 * s_max * n) */
    }
    memcpy(s, sorted, n * sizeof *s);
    free(sorted);
    free(B);
    free(order);
    free(Vt);
    return 0;
}

/* ---- SVD photonic core ---------------------------------------------------- */
size_t dev_svd_mesh_shifters(size_t n)
{
    return 2 * (n * (n - 1) + n) + n;
}

void dev_svd_mesh_free(dev_svd_mesh_t *m)
{
    if (!m)
        return;
    dev_clements_free(&m->u);
    dev_clements_free(&m->vt);
    free(m->atten);
    memset(m, 0, sizeof *m);
}

int dev_svd_mesh_program(const double *W, size_t n_out, size_t n_in, size_t n,
                         dev_svd_mesh_t *out)
{
    if (!W || !out || n == 0 || n_out == 0 || n_in == 0 || n_out > n || n_in > n)
        return SIM_ERR_CONFIG;
    memset(out, 0, sizeof *out);
    double *A = calloc(n * n, sizeof *A), *U = malloc(n * n * sizeof *U);
    double *V = malloc(n * n * sizeof *V), *s = malloc(n * sizeof *s);
    dev_cplx_t *C = malloc(n * n * sizeof *C);
    out->atten = malloc(n * sizeof *out->atten);
    int rc = SIM_ERR_NOMEM;
    if (!A || !U || !V || !s || !C || !out->atten)
        goto done;
    for (size_t i = 0; i < n_out; i++)
        for (size_t j = 0; j < n_in; j++) {
            if (!isfinite(W[i * n_in + j])) {
                rc = SIM_ERR_CONFIG;
                goto done;
            }
            A[i * n + j] = W[i * n_in + j];
        }
    rc = dev_svd_square(A, n, U, s, V);
    if (rc)
        goto done;
    for (size_t i = 0; i < n * n; i++)
        C[i] = U[i];
    rc = dev_clements_decompose(C, n, &out->u);
    if (rc)
        goto done;
    for (size_t i = 0; i < n; i++) /* V^T */
        for (size_t j = 0; j < n; j++)
            C[i * n + j] = V[j * n + i];
    rc = dev_clements_decompose(C, n, &out->vt);
    if (rc)
        goto done;
    out->s_max = s[0];
    for (size_t i = 0; i < n; i++)
        out->atten[i] = s[0] > 0.0 ? s[i] / s[0] : 0.0;
    out->n = n;
    out->n_out = n_out;
    out->n_in = n_in;
    rc = 0;
done:
    free(A);
    free(U);
    free(V);
    free(s);
    free(C);
    if (rc)
        dev_svd_mesh_free(out);
    return rc;
}

void dev_svd_mesh_apply(const dev_svd_mesh_t *m, const double *a, dev_cplx_t *out,
                        sim_rng_t *rng, double sigma_phase)
{
    size_t n = m->n;
    for (size_t i = 0; i < n; i++)
        out[i] = i < m->n_in ? a[i] : 0.0;
    dev_clements_apply(&m->vt, out, rng, sigma_phase);
    for (size_t i = 0; i < n; i++) {
        double t = m->atten[i];
        if (rng && sigma_phase > 0.0) /* attenuator MZI: t = cos(theta) */
            t = cos(acos(t) + sigma_phase * sim_rng_next_normal(rng));
        out[i] *= t;
    }
    dev_clements_apply(&m->u, out, rng, sigma_phase);
}

double dev_svd_mesh_phase_pi(const dev_svd_mesh_t *m)
{
    double sum = dev_clements_phase_pi(&m->u) + dev_clements_phase_pi(&m->vt);
    for (size_t i = 0; i < m->n; i++)
        sum += 2.0 * acos(m->atten[i]) / M_PI;
    return sum;
}
