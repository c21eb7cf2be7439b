/* Private helpers shared by the device models of devices/ (not a public API):
 * converter energy per conversion scaled from a reference point (Murmann ADC
 * survey; Walden FOM), and the laser wall-plug power that closes an optical loss budget (SimPhony). */
#ifndef PRISM_DEV_INT_H
#define PRISM_DEV_INT_H

#include "devices/dev.h"
#include "devices/dev_common.h"
#include "num/num.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The quantizer (num_quantize, num_quant_step, num_max_abs) lives in num/. */

/* How a converter's energy per conversion scales away from its reference
 * point (ref_bits, ref_rate, ref_pj):
 *  - bits: DEV_CONV_WALDEN: E ~ 2^(b - b_ref) (Walden FOM: power/(2^b f) const);
 *          DEV_CONV_LINEAR: E ~ b / b_ref (linear in bits, some SAR fits).
 *  - rate: below or at ref_rate the energy per conversion is constant (power
 *    proportional to rate, the flat region of the Murmann survey); above it
 *    the converter is speed-limited and E grows linearly with f / f_ref
 *    (power ~ f^2), the survey's high-speed asymptote. */
typedef enum { DEV_CONV_WALDEN = 0, DEV_CONV_LINEAR = 1, DEV_CONV_CAP = 2 } dev_conv_scaling_t;
/*          DEV_CONV_CAP: E ~ (2^b / b) / (2^b_ref / b_ref), the capacitive DAC
 *          scaling of Lightening-Transformer's hardware_simulator/hardware/DAC.py. */

/* "walden" | "linear" | "cap" -> scaling; -1 when unknown. */
int dev_conv_scaling_parse(const char *name);

/* Energy per conversion in pJ at (bits, rate_hz) given the reference point.
 * Returns a negative value when an argument is out of range (bits < 1,
 * rates <= 0, ref_pj < 0, unknown scaling). */
double dev_adc_energy_pj(int bits, double rate_hz, int ref_bits, double ref_rate,
                         double ref_pj, int scaling);
double dev_dac_energy_pj(int bits, double rate_hz, int ref_bits, double ref_rate,
                         double ref_pj, int scaling);

/* Wall-plug laser power in mW that delivers `pd_sens_dbm` to each
 * photodetector through `loss_db` of insertion loss, per wavelength, for
 * `n_wavelengths` wavelengths:  P = n * 10^((sens + loss) / 10) mW / wpe.
 * (H3PIMAP / SimPhony: P_laser = P_pd_min * 10^(IL/10) / WPE per wavelength.)
 * Returns a negative value when wpe is outside (0, 1], loss_db < 0 or
 * n_wavelengths < 1. */
double dev_laser_power_mw(double pd_sens_dbm, double loss_db, double wpe, int n_wavelengths);

/* Photodetector + TIA noise, in mA, for a mean photocurrent i_ma: shot noise
 * sqrt(2 q I B) plus a thermal floor set by the sensitivity: at the
 * sensitivity current i_sens_ma the receiver reaches Q = q_factor (Q = 7 is
 * BER 1e-12 for on-off keying), i.e. sigma_th = i_sens / (2 Q). B = the
 * receiver bandwidth in Hz. Negative on bad input. */
double dev_pd_noise_ma(double i_ma, double bandwidth_hz, double i_sens_ma, double q_factor);

/* dBm <-> mW */
double dev_dbm_to_mw(double dbm);
double dev_mw_to_dbm(double mw);

/* ---- converters as components (dac.c, adc.c; photodetector.c times with it) */
/* Parameters both converter models define: bits, sample_rate_hz, ref_bits,
 * ref_rate_hz, ref_power_mw (their tables differ in defaults and sources),
 * scaling (walden|linear|cap, the default differs: each follows its reference
 * point's source), then latency_ps (0: one sample period), channels, full_scale (0:
 * per vector), the same word for word in both: DEV_CONV_SHARED_PARAMS, used
 * inside the initialiser of a table. */
#define DEV_CONV_SHARED_PARAMS                                                                     \
    {"latency_ps", SIM_P_REAL, "0", "ps", 0, 1e9, NULL,                                            \
     "conversion latency; 0 = one sample period", "one sample period (pipelined converter)"},      \
    {"channels", SIM_P_INT, "1", "", 1, 1 << 20, NULL,                                             \
     "parallel converters; m samples take ceil(m / channels) sample periods", "design parameter"}, \
    {"full_scale", SIM_P_REAL, "0", "", 0, 1e300, NULL,                                            \
     "full-scale input; 0 = per-vector scale (max |x| of each vector)",                            \
     "per-vector (per-token) scaling as in the AIMC noise model (REFERENCE.md s.4)"}

typedef struct dev_conv {
    dev_base_t base;
    int bits, channels;
    double rate_hz, e_conv_pj, latency_ps, full_scale;
    int st_energy, st_samples;
} dev_conv_t;

/* Resolve parameters; `energy_stat` is "energy.dac" or "energy.adc". */
int dev_conv_init(sim_comp_t *c, dev_conv_t *st, const sim_params_t *p, const char *energy_stat);
/* sim_model_t.handle of a converter (state: a dev_conv_t, or a struct that
 * starts with one). */
void dev_conv_handle(sim_comp_t *c, void *state, const sim_event_t *ev);
/* dev_ext_t.cost of a converter: what dev_conv_handle charges. */
int dev_conv_cost(sim_comp_t *c, const void *state, const dev_req_t *req, dev_cost_t *k);
/* m samples: op time and initiation interval in ps (latency + ceil(m/ch)/rate). */
void dev_conv_timing(const dev_conv_t *st, uint64_t m, double *time_ps, double *issue_ps);
/* dev_ext_t.convert: num_quantize with the component's bits and full scale. */
int dev_conv_convert(sim_comp_t *c, void *state, const double *in, double *out, size_t n,
                     const dev_num_ctx_t *ctx);
/* ps -> whole cycles of `period_ps` (ceil; at least 1 when time > 0). */
uint64_t dev_ps_to_cycles(double time_ps, sim_time_t period_ps);

/* dev_ext_t.area of a converter: channels x area_um2 x 2^(bits - ref_bits). */
int dev_conv_area(const sim_params_t *p, dev_area_t *out, char *err, size_t n);

/* ---- the electro-optic I/O of a photonic core (mzi_mesh.c, mrr_bank.c) ----- */
/* Entries of a sim_param_def_t table shared by the photonic cores: DACs and
 * ADCs (one per input / output channel, energy scaled as above), the
 * modulator symbol rate, photodetectors (+TIA) and the laser wall-plug
 * efficiency. Use inside the initialiser of a table. */
#define DEV_PIO_PARAMS                                                                             \
    {"dac_bits", SIM_P_INT, "8", "bits", 1, 16, NULL, "input DAC resolution",                      \
     "Lightening-Transformer DAC.py entry 1: 8 bits"},                                             \
    {"dac_rate_hz", SIM_P_REAL, "5e9", "Hz", 1, 1e12, NULL, "DAC sample rate per input",           \
     "run at the 5 GHz core clock (Lightening-Transformer default.yaml work_freq 5)"},              \
    {"dac_ref_bits", SIM_P_INT, "8", "bits", 1, 16, NULL, "DAC energy reference: bits",            \
     "Lightening-Transformer hardware_simulator/hardware/DAC.py entry 1: 8 bits"},                 \
    {"dac_ref_rate_hz", SIM_P_REAL, "14e9", "Hz", 1, 1e12, NULL, "DAC energy reference: rate",     \
     "Lightening-Transformer DAC.py entry 1: 14 GS/s"},                                            \
    {"dac_ref_power_mw", SIM_P_REAL, "50", "mW", 0, 1e6, NULL, "DAC energy reference: power",      \
     "Lightening-Transformer DAC.py entry 1: 50 mW (capacitive DAC)"},                             \
    {"dac_latency_ps", SIM_P_REAL, "0", "ps", 0, 1e9, NULL,                                        \
     "DAC latency; 0 = one sample period", "one sample period"},                                  \
    {"dac_scaling", SIM_P_ENUM, "cap", "", 0, 0, "walden|linear|cap",                              \
     "DAC energy vs bits: 2^(b-b_ref), b/b_ref, or (2^b/b)/(2^b_ref/b_ref); rate: flat up to "     \
     "the reference rate, linear above",                                                           \
     "cap: Lightening-Transformer DAC.py (P ~ 2^N/N x f); walden: Walden FOM"},                   \
    {"adc_bits", SIM_P_INT, "8", "bits", 1, 16, NULL, "output ADC resolution",                     \
     "Lightening-Transformer ADC.py entry 1: 8 bits"},                                             \
    {"adc_rate_hz", SIM_P_REAL, "5e9", "Hz", 1, 1e12, NULL, "ADC sample rate per output",          \
     "run at the 5 GHz core clock (Lightening-Transformer default.yaml work_freq 5)"},              \
    {"adc_ref_bits", SIM_P_INT, "8", "bits", 1, 16, NULL, "ADC energy reference: bits",            \
     "Lightening-Transformer hardware_simulator/hardware/ADC.py entry 1 (SAR): 8 bits"},           \
    {"adc_ref_rate_hz", SIM_P_REAL, "10e9", "Hz", 1, 1e12, NULL, "ADC energy reference: rate",     \
     "Lightening-Transformer ADC.py entry 1: 10 GS/s"},                                            \
    {"adc_ref_power_mw", SIM_P_REAL, "14.8", "mW", 0, 1e6, NULL, "ADC energy reference: power",    \
     "Lightening-Transformer ADC.py entry 1: 14.8 mW (1.48 pJ/conversion)"},                       \
    {"adc_latency_ps", SIM_P_REAL, "0", "ps", 0, 1e9, NULL,                                        \
     "ADC latency; 0 = one sample period", "one sample period"},                                  \
    {"adc_scaling", SIM_P_ENUM, "linear", "", 0, 0, "walden|linear|cap",                           \
     "ADC energy vs bits: 2^(b-b_ref), b/b_ref, or (2^b/b)/(2^b_ref/b_ref); rate: flat up to "     \
     "the reference rate, linear above",                                                           \
     "linear: Lightening-Transformer ADC.py scales its SAR entry as P ~ N x f; walden: Walden FOM"}, \
    {"mod_rate_hz", SIM_P_REAL, "5e9", "Hz", 1, 1e12, NULL, "modulator symbol rate",               \
     "Lightening-Transformer default.yaml core work_freq 5 GHz"},                                  \
    {"pd_sensitivity_dbm", SIM_P_REAL, "-25", "dBm", -100, 30, NULL,                               \
     "optical power each photodetector needs at full scale",                                       \
     "Lightening-Transformer default.yaml photo_detector sensitivity -25 dBm"},                    \
    {"pd_responsivity_a_per_w", SIM_P_REAL, "1", "A/W", 1e-6, 10, NULL,                            \
     "photodiode responsivity", "SimPhony default, 1 A/W (unverified)"},                          \
    {"pd_power_mw", SIM_P_REAL, "3", "mW", 0, 1e4, NULL,                                           \
     "TIA power per output while sampling",                                                        \
     "Lightening-Transformer default.yaml core interface TIA power 3 mW"},                         \
    {"pd_bias_mw", SIM_P_REAL, "1.1", "mW", 0, 1e4, NULL,                                          \
     "photodiode (bias) power per output while sampling",                                          \
     "Lightening-Transformer default.yaml photo_detector power 1.1 mW"},                           \
    {"pd_latency_ps", SIM_P_REAL, "0", "ps", 0, 1e9, NULL,                                         \
     "detection latency; 0 = one symbol period", "one symbol (integration) period"},              \
    {"pd_noise", SIM_P_BOOL, "false", "", 0, 0, NULL,                                              \
     "add shot + thermal receiver noise in the numerics", "off by default"},                      \
    {"pd_q_factor", SIM_P_REAL, "7", "", 0.1, 100, NULL,                                           \
     "receiver Q at the sensitivity (thermal floor = I_sens / 2Q)",                                \
     "Q = 7 <-> BER 1e-12 for on-off keying"},                                                    \
    {"dac_area_um2", SIM_P_REAL, "11000", "um2", 0, 1e9, NULL,                                     \
     "area of one input DAC at dac_ref_bits (x 2^(dac_bits - dac_ref_bits))",                      \
     "Lightening-Transformer DAC.py entry 1: 11000 um2 (8 bit, 14 GS/s)"},                        \
    {"adc_area_um2", SIM_P_REAL, "2850", "um2", 0, 1e9, NULL,                                      \
     "area of one output ADC at adc_ref_bits (x 2^(adc_bits - adc_ref_bits))",                     \
     "Lightening-Transformer ADC.py entry 1: 2850 um2 (8 bit, 10 GS/s SAR)"},                     \
    {"pd_area_um2", SIM_P_REAL, "90", "um2", 0, 1e9, NULL,                                         \
     "area of one photodetector and its TIA",                                                      \
     "Lightening-Transformer default.yaml: photo_detector 4 x 10 um + TIA area 50 um2"},           \
    {"laser_area_um2", SIM_P_REAL, "120000", "um2", 0, 1e10, NULL,                                 \
     "area of the on-chip laser (0 with external_laser)",                                          \
     "Lightening-Transformer default.yaml laser 400 x 300 um"},                                    \
    {"driver_area_um2", SIM_P_REAL, "11000", "um2", 0, 1e9, NULL,                                  \
     "area of the driver that sets one weight element (MZI shifter, ring, MMU)",                   \
     "Lightening-Transformer photonic_MZI.py cal_core_area: one DAC (DAC.py entry 1, 11000 "      \
     "um2) per MZI"},                                                                              \
    {"external_laser", SIM_P_BOOL, "false", "", 0, 0, NULL,                                        \
     "true: a laser component feeds the core and charges the light; the core still sizes it "     \
     "(laser_power_mw) but charges no energy.laser",                                              \
     "design choice (the laser is part of the core by default)"},                                 \
    {"wpe", SIM_P_REAL, "0.2", "", 1e-6, 1, NULL, "laser wall-plug efficiency",                    \
     "Lightening-Transformer default.yaml laser wall_plug_eff 0.2"}

typedef struct dev_pio {
    int dac_bits, adc_bits, pd_noise, external_laser;
    double e_dac_pj, e_adc_pj, e_pd_pj;     /* per conversion / per sample */
    double t_dac_ps, t_mod_ps, t_pd_ps, t_adc_ps;
    double interval_ps;                     /* max(1/dac, 1/adc, 1/mod) */
    double pd_sens_dbm, wpe;
    double pd_sigma_rel; /* receiver noise / full-scale photocurrent */
} dev_pio_t;

/* The ops of a photonic core: MVM/GEMM (m vectors through a k-in x n-out
 * matrix) and PROGRAM (load a k x n matrix). */
#define DEV_PIO_OPS (DEV_OP_BIT(DEV_OP_MVM) | DEV_OP_BIT(DEV_OP_GEMM) | DEV_OP_BIT(DEV_OP_PROGRAM))

/* The area of a photonic core's I/O from its DEV_PIO_PARAMS: n_in DACs and
 * n_out ADCs (dac_bits, adc_bits against their reference bits), n_out
 * photodetectors + TIAs, n_drivers weight drivers, and the laser unless
 * external_laser. Parts "dac", "adc", "pd", "drivers", "laser". 0 or -1 (err). */
int dev_pio_area(const sim_params_t *p, double n_in, double n_out, double n_drivers,
                 dev_area_t *out, char *err, size_t n);

/* Read the DEV_PIO_PARAMS of a component. 0 or an error (after sim_comp_fail). */
int dev_pio_init(sim_comp_t *c, dev_pio_t *io, const sim_params_t *p);

/* Weight loads of a photonic core for a request over `tiles` tiles: PROGRAM
 * loads every tile, DEV_F_NO_RELOAD none, a tiled matrix every tile (the core
 * holds one), a single tile only when other weights (req->weight_id) are
 * resident. Marks the request's weights resident (*loaded, *weight_id). */
uint64_t dev_pio_reloads(const dev_req_t *req, uint64_t tiles, int *loaded, uint32_t *weight_id);
/* The same count without marking anything resident (for cost queries). */
uint64_t dev_pio_reload_count(const dev_req_t *req, uint64_t tiles, int loaded,
                              uint32_t weight_id);

/* The ledger of a photonic core, registered in this order: energy.dac,
 * energy.adc, energy.modulator, energy.laser, energy.pd, then `extra_energy`
 * (NULL: none), vectors, reloads, insertion_loss_db (= loss_db) and
 * laser_power_mw (= laser_mw). 0 or an error after sim_comp_fail. */
typedef struct dev_pio_stats {
    int e_dac, e_adc, e_mod, e_laser, e_pd, e_extra;
    int vectors, reloads, loss, laser_mw;
} dev_pio_stats_t;
int dev_pio_stats_init(sim_comp_t *c, dev_pio_stats_t *s, const char *extra_energy,
                       double loss_db, double laser_mw);

/* The energy of m vectors through a k-input x n-output matrix cut in
 * tiles_in x tiles_out tiles, by category: every tile converts its inputs
 * (DAC, modulator at e_mod_pj per symbol) and outputs (PD, ADC); the laser
 * burns laser_mw for tiles x t_tile_ps (none with external_laser). */
typedef struct dev_pio_energy {
    double dac, mod, adc, pd, laser, total;
} dev_pio_energy_t;
void dev_pio_energy(const dev_pio_t *io, double e_mod_pj, double laser_mw, uint64_t m, uint64_t k,
                    uint64_t n, uint64_t tiles_in, uint64_t tiles_out, double t_tile_ps,
                    dev_pio_energy_t *out);
/* Charge `e` to the ledger by category and count m vectors and `reloads`
 * weight loads. */
void dev_pio_charge(sim_comp_t *c, const dev_pio_stats_t *s, const dev_pio_energy_t *e, uint64_t m,
                    uint64_t reloads);

/* An m x k x n request must be non-empty and, without tiling, fit one
 * rows x cols tile (outputs x inputs). 0, or an error: after sim_comp_fail
 * naming the model when c is given, SIM_ERR_CONFIG quietly when c is NULL
 * (cost queries). */
int dev_pio_fits(sim_comp_t *c, int rows, int cols, int tiling, uint64_t n_out, uint64_t n_in);

/* What a photonic core with one tile of weights (mzi_mesh, mrr_bank) is,
 * for planning a request: a tile of rows outputs x cols inputs, vectors
 * through it `wavelengths` at a time, the first result after t_first_ps and
 * one more slot every interval_ps, settle_ps per weight load, e_mod_pj per
 * modulator symbol and laser_mw of light. */
typedef struct dev_pio_core {
    uint64_t rows, cols, wavelengths;
    double t_first_ps, interval_ps, settle_ps, e_mod_pj, laser_mw;
} dev_pio_core_t;

/* What one request costs on such a core with the weights `loaded`
 * (weight_id) or not: m vectors through a k-in x nout-out matrix cut into
 * tiles_in x tiles_out tiles, `reloads` weight loads, times in ps. The one
 * plan the handler and the cost query share. DEV_F_COST_RESIDENT and
 * DEV_F_COST_EMPTY in req->flags ask as if the weights were resident or
 * the core empty. */
typedef struct dev_pio_plan {
    uint64_t m, k, nout, tiles_in, tiles_out, reloads;
    double t_tile, total, issue;
    dev_pio_energy_t io;
} dev_pio_plan_t;
void dev_pio_plan(const dev_pio_t *io, const dev_pio_core_t *core, const dev_req_t *req, int loaded,
                  uint32_t weight_id, dev_pio_plan_t *p);
/* The cost query's answer from a plan (cycles of period_ps). */
void dev_pio_plan_cost(const dev_pio_t *io, const dev_pio_core_t *core, const dev_pio_plan_t *p,
                       sim_time_t period_ps, dev_cost_t *k);
/* The cost query of such a core: SIM_ERR_CONFIG (k zeroed) for an op it
 * does not do or when `fits` (the model's check of the request) is an
 * error; else plan and answer, 0. */
int dev_pio_cost(const dev_pio_t *io, const dev_pio_core_t *core, const dev_req_t *req, int fits,
                 int loaded, uint32_t weight_id, sim_time_t period_ps, dev_cost_t *k);
/* Run a request that fits on such a core: plan it, mark its weights
 * resident, charge the energy and start the op (dev_base_op). */
void dev_pio_run(sim_comp_t *c, dev_base_t *base, const dev_pio_t *io, const dev_pio_stats_t *s,
                 const dev_pio_core_t *core, int *loaded, uint32_t *weight_id,
                 const sim_event_t *ev, const dev_req_t *req);

/* ---- complex/real linear algebra and the Clements mesh (clements.c) ------- */
/* Clements et al., "Optimal design for universal multiport interferometers"
 * (Optica 2016): any N x N unitary is N(N-1)/2 MZIs in a rectangular mesh of
 * depth N plus an output phase screen. Matrices are row-major. */
typedef double _Complex dev_cplx_t;

/* Haar-random N x N unitary: Gram-Schmidt (twice, for orthogonality to
 * rounding) of a complex Gaussian matrix drawn from `rng` (Mezzadri 2007:
 * QR with a positive diagonal R gives the Haar measure). */
int dev_haar_unitary(dev_cplx_t *U, size_t n, sim_rng_t *rng);

/* One MZI acting on modes (mode, mode + 1): internal phase 2*theta between
 * two 50:50 couplers, external phase phi on the top input, with the transfer
 *   T = [[e^{i phi} cos theta, -sin theta], [e^{i phi} sin theta, cos theta]]
 * (theta in [0, pi/2], phi wrapped to [0, 2 pi)). `column` is its position in
 * the rectangular mesh (0-based), filled by the decomposition. */
typedef struct dev_mzi {
    uint32_t mode;
    uint32_t column;
    double theta, phi;
} dev_mzi_t;

/* A programmed mesh: U = D * T_{n_mzi-1} ... T_1 T_0 (mzi[] in the order
 * light meets them), D = diag(e^{i out_phase[k]}). */
typedef struct dev_clements {
    size_t n, n_mzi, depth;
    dev_mzi_t *mzi;
    double *out_phase;
} dev_clements_t;

/* Decompose unitary U (n x n). Allocates out->mzi/out_phase (free with
 * dev_clements_free). Returns 0, SIM_ERR_CONFIG when U is not unitary to
 * 1e-8 (max |U U^H - I|), SIM_ERR_NOMEM. */
int dev_clements_decompose(const dev_cplx_t *U, size_t n, dev_clements_t *out);
void dev_clements_free(dev_clements_t *c);
/* Rebuild the n x n matrix the mesh implements. */
int dev_clements_matrix(const dev_clements_t *c, dev_cplx_t *U);
/* x <- mesh * x in place (n entries). With sigma_phase > 0 every theta, phi
 * and output phase gets + N(0, sigma_phase^2) drawn from rng (static phase
 * error of this pass). */
void dev_clements_apply(const dev_clements_t *c, dev_cplx_t *x, sim_rng_t *rng,
                        double sigma_phase);
/* Sum over the mesh's phase shifters of phase / pi (internal 2 theta, external
 * phi and the output screen): heater power = this * P_pi. */
double dev_clements_phase_pi(const dev_clements_t *c);

/* Real SVD of a square n x n matrix by one-sided Jacobi (Hestenes):
 * A = U diag(s) V^T, s descending >= 0, U and V orthogonal (U completed for
 * zero singular values). Returns 0, SIM_ERR_NOMEM. */
int dev_svd_square(const double *A, size_t n, double *U, double *s, double *V);

/* A real weight matrix on an n-mode SVD photonic core: W = s_max * U A V^T
 * with two Clements meshes (V^T first, then U) and a line of n attenuator
 * MZIs of amplitude transmission atten[k] = s_k / s_max = cos(theta_k) in
 * [0, 1]: the optical path only attenuates and the factor s_max is restored
 * electronically after detection. W (n_out x n_in, both <= n) is embedded
 * in the top-left corner of an n x n zero matrix. */
typedef struct dev_svd_mesh {
    size_t n, n_out, n_in;
    dev_clements_t u, vt;
    double *atten; /* n */
    double s_max;
} dev_svd_mesh_t;

int dev_svd_mesh_program(const double *W, size_t n_out, size_t n_in, size_t n,
                         dev_svd_mesh_t *out);
void dev_svd_mesh_free(dev_svd_mesh_t *m);
/* Optical fields: out[n] = U A V^T a for real input amplitudes a[n_in]
 * (zero-padded), phase noise as in dev_clements_apply (the attenuator angles
 * get it too). The real part is what coherent detection reads; the product
 * W a = s_max * Re(out). */
void dev_svd_mesh_apply(const dev_svd_mesh_t *m, const double *a, dev_cplx_t *out,
                        sim_rng_t *rng, double sigma_phase);
/* Sum of phase / pi over every shifter (both meshes, attenuators: 2 theta). */
double dev_svd_mesh_phase_pi(const dev_svd_mesh_t *m);
/* Number of phase shifters: 2 * (n(n-1) + n) + n. */
size_t dev_svd_mesh_shifters(size_t n);

/* ---- photonic numerics (pure) ------------------------------------------------ */
/* y = W x through an SVD mesh programmed with W (one tile): DAC quantization
 * of x (per-vector scale), optical product U A V^T with optional phase noise,
 * coherent detection (real part) with optional receiver noise of
 * pd_sigma_rel (relative to full scale), ADC quantization (per-vector scale),
 * electronic rescale by s_max * max|x|. x has mesh->n_in entries, y gets
 * mesh->n_out. rng may be NULL (no noise). 0 or SIM_ERR_NOMEM. */
int dev_mzi_mvm_tile(const dev_svd_mesh_t *mesh, const double *x, double *y, int dac_bits,
                     int adc_bits, double phase_noise_rad, double pd_sigma_rel, sim_rng_t *rng);

/* y = W x through a microring weight bank: weights W / max|W| in [-1, 1]
 * (balanced detection), inputs through the DAC, adjacent-wavelength crosstalk
 * kappa (each input j also reaches weight (i, j) with kappa * (x[j-1] +
 * x[j+1])), receiver noise, ADC, rescale by max|W| * max|x|. */
int dev_mrr_mvm_tile(const double *W, size_t n_out, size_t n_in, const double *x, double *y,
                     int dac_bits, int adc_bits, double kappa, double pd_sigma_rel,
                     sim_rng_t *rng);

/* Held tuning power, one rule for every device that holds a phase or a
 * resonance (mzi_mesh thermo-optic or MEMS shifters, mrr_bank rings): the
 * power `hold_mw` is static power from init to the end of the run; a reload
 * charges no energy of its own, it only takes its settle time (the run is that
 * much longer and the static ledger charges the heaters for it). Closed form:
 * heater energy of a run of run_ps = dev_hold_energy_pj(hold_mw, run_ps).
 * dev_hold_power registers the static power (0, or an error after
 * sim_comp_fail for a negative or non-finite power). */
int dev_hold_power(sim_comp_t *c, double hold_mw);
double dev_hold_energy_pj(double hold_mw, double run_ps);

/* Lorentzian drop response of a ring of quality factor q at `detuning_nm`
 * from resonance (wavelength lambda_nm): 1 / (1 + (2 detuning Q / lambda)^2). */
double dev_ring_lorentzian(double detuning_nm, double lambda_nm, double q);

#ifdef __cplusplus
}
#endif
#endif
