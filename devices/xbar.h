/* Private header of the analog in-memory crossbar core (devices/xbar.c),
 * shared by the RRAM and PCM crossbar models (rram_xbar.c, pcm_xbar.c) and
 * their tests: resolved configuration, the cell-physics hooks each model
 * provides, closed-form timing/energy and the numerics of one MVM. */
#ifndef PRISM_DEV_XBAR_H
#define PRISM_DEV_XBAR_H

#include "devices/dev.h"
#include "devices/dev_common.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { XBAR_IN_DAC = 0, XBAR_IN_BITSERIAL = 1 } xbar_input_mode_t;
typedef enum { XBAR_ADC_VECTOR = 0, XBAR_ADC_FIXED = 1 } xbar_adc_range_t;

/* Every parameter of a crossbar, resolved (units in the names). Fields a cell
 * model does not use stay 0. */
typedef struct xbar_cfg {
    const char *model; /* "rram_xbar" | "pcm_xbar", for messages */
    int rows, cols;    /* weights per array: rows = inputs, cols = logical outputs */
    int weight_bits, bits_per_cell, differential;
    int input_mode, input_bits;
    int adc_bits, cols_per_adc, adc_range;
    double adc_fs;                 /* fixed range: fraction of rows * g_max * V */
    double adc_rate_hz, adc_pj;    /* energy per conversion (dev_adc_energy_pj) */
    double dac_rate_hz, dac_pj;    /* energy per conversion (dev_dac_energy_pj) */
    double read_pulse_ns, read_voltage_v;
    double g_max_us, g_min_us, g_avg_frac;
    /* read energy as DNN_NeuroSim V1.3 computes it (xbar_col_read_pj) */
    double sense_ns;               /* column sense time: the read power's duration */
    double access_ohm;             /* 1T1R access transistor in series with each cell */
    double col_power_v2;           /* column read power per siemens of column conductance */
    double row_activity;           /* driven fraction of rows per read pulse (cost queries) */
    double g_cell_us;              /* mean conductance of one cell with its access transistor */
    double cell_read_pj;           /* one driven cell, one pulse: xbar_col_read_pj(g_cell_us) */
    double write_ns, write_pj;     /* per cell, whole programming of one cell */
    double endurance;              /* writes a cell survives */
    double add_pj, leak_mw;
    int tiling;
    int arrays; /* physical arrays: with tiling a matrix may use up to this many */
    /* RRAM: programming / read noise as fractions */
    double prog_noise_frac, read_noise_frac;
    /* PCM (aihwkit PCMLikeNoiseModel) */
    double prog_c0, prog_c1, prog_c2, prog_noise_scale;
    double read_noise_scale, t_read_s;
    double nu_mean, nu_std, nu_min, nu_max, t0_s;
    int drift_comp;
} xbar_cfg_t;

/* Rows of a sim_param_def_t table that both crossbar models share word for
 * word (use inside the initialiser of a table, in this order):
 * XBAR_PERIPHERY_PARAMS after adc_bits: ADC multiplexing, range and energy
 * reference, DAC rate and energy reference, read pulse width;
 * XBAR_DIGITAL_PARAMS before tiling: shift-and-add energy and leakage. */
#define XBAR_PERIPHERY_PARAMS                                                                      \
    {"cols_per_adc", SIM_P_INT, "8", "", 1, 1048576, NULL,                                         \
     "physical columns multiplexed onto one ADC", "DNN_NeuroSim V1.3 numColMuxed = 8"},                    \
    {"adc_range", SIM_P_ENUM, "vector", "", 1, 0, "vector|fixed",                                  \
     "ADC full scale: max |current| of each read, or a fixed fraction",                            \
     "per-vector scaling as in the AIMC letter's noise model"},                                    \
    {"adc_fs", SIM_P_REAL, "1.0", "", 1e-6, 1.0, NULL,                                             \
     "fixed ADC full scale as a fraction of rows * g_max * V_read", "full array current"},         \
    {"adc_rate_hz", SIM_P_REAL, "1e9", "Hz", 1.0, 1e12, NULL, "ADC conversion rate",               \
     "unverified: ADC survey fit point 1 GS/s (Murmann, REFERENCE.md)"},                                                     \
    {"adc_ref_bits", SIM_P_INT, "8", "bits", 1, 32, NULL, "ADC energy reference: bits",            \
     "ADC survey fit (Murmann): 8 bit"},                                                           \
    {"adc_ref_rate_hz", SIM_P_REAL, "1e9", "Hz", 1.0, 1e12, NULL, "ADC energy reference: rate",    \
     "ADC survey fit (Murmann): 1 GS/s"},                                                          \
    {"adc_ref_pj", SIM_P_REAL, "1.7", "pJ", 0.0, 1e6, NULL, "ADC energy per conversion at ref",    \
     "unverified: ADC survey fit ~1.7 pJ at 1 GS/s, 32 nm (Murmann, REFERENCE.md)"},                                         \
    {"adc_scaling", SIM_P_ENUM, "walden", "", 1, 0, "walden|linear", "ADC energy vs bits",         \
     "Walden FOM: E ~ 2^bits"},                                                                    \
    {"dac_rate_hz", SIM_P_REAL, "1e9", "Hz", 1.0, 1e12, NULL, "DAC rate (settling 1/rate)",        \
     "matched to the ADC rate"},                                                                   \
    {"dac_ref_bits", SIM_P_INT, "8", "bits", 1, 32, NULL, "DAC energy reference: bits",            \
     "Lightening-Transformer DAC.py entry 1: 8 bit, 14 GS/s, 50 mW"},                             \
    {"dac_ref_rate_hz", SIM_P_REAL, "14e9", "Hz", 1.0, 1e12, NULL, "DAC energy reference: rate",   \
     "Lightening-Transformer DAC.py entry 1: 14 GS/s"},                                          \
    {"dac_ref_pj", SIM_P_REAL, "3.5714", "pJ", 0.0, 1e6, NULL,                                     \
     "DAC energy per conversion at ref", "50 mW / 14 GS/s = 3.57 pJ"},                             \
    {"dac_scaling", SIM_P_ENUM, "walden", "", 1, 0, "walden|linear", "DAC energy vs bits",         \
     "Walden FOM: E ~ 2^bits"},                                                                    \
    {"read_pulse_ns", SIM_P_REAL, "10", "ns", 1e-3, 1e6, NULL,                                     \
     "read pulse width (timing only: the read energy is taken over sense_ns)",                     \
     "DNN_NeuroSim V1.3 Param.cpp:175 readPulseWidth = 10 ns"},                                     \
    {"sense_ns", SIM_P_REAL, "1", "ns", 1e-3, 1e6, NULL,                                           \
     "column sense time: the column read power is drawn for this long per pulse",                  \
     "DNN_NeuroSim V1.3 MultilevelSenseAmp.cpp:311-312 GetColumnLatency = 1 ns at technode <= 22 " \
     "nm (clamped to 1..10 ns, :189-193)"},                                                        \
    {"col_power_v2", SIM_P_REAL, "0.0631", "V^2", 0.0, 1e3, NULL,                                  \
     "column read power per siemens of driven column conductance at V_read = 0.5 V "              \
     "(scaled by V_read / 0.5)",                                                                   \
     "DNN_NeuroSim V1.3 MultilevelSenseAmp.cpp:378 current-mode MLSA, 22 nm LP: "                  \
     "P = 0.0631 exp(-2.303 log10 R_col) = 0.0631 / R_col; :325 R_col x 0.5 / V_read"},            \
    {"row_activity", SIM_P_REAL, "0.5", "", 0.0, 1.0, NULL,                                        \
     "driven fraction of rows per pulse in cost queries (bit-serial: rows whose input bit is 1; "  \
     "DAC: mean |V_row| / V_read); a numeric MVM on the unit replaces it with the measured value",  \
     "0.5: random bits (and mean |u| of u uniform in [-1, 1]); NeuroSim measures it per input "     \
     "vector (ProcessingUnit.cpp:606-621 activityRowRead)"},                                      \
    {"access_ohm", SIM_P_REAL, "-1", "Ohm", -1.0, 1e12, NULL,                                      \
     "on-resistance of the 1T1R access transistor in series with each cell; -1 = 0.25 / g_max",    \
     "DNN_NeuroSim V1.3 Param.cpp:177 resistanceAccess = resistanceOn x IR_DROP_TOLERANCE, "       \
     "constant.h:80 IR_DROP_TOLERANCE 0.25; in series: ProcessingUnit.cpp:639"}

#define XBAR_DIGITAL_PARAMS                                                                        \
    {"add_pj", SIM_P_REAL, "0.1", "pJ", 0.0, 1e6, NULL, "one shift-and-add (32-bit add)",          \
     "Horowitz ISSCC 2014: 32-bit add 0.1 pJ (45 nm)"},                                            \
    {"leak_mw", SIM_P_REAL, "0", "mW", 0.0, 1e6, NULL, "peripheral leakage (static)",              \
     "off unless set: DNN_NeuroSim V1.3 derives leakage per technology node"},                     \
    XBAR_AREA_PARAMS

/* Area of a crossbar unit (xbar_area): `arrays` physical arrays of rows x
 * (cols x slices x pairs) cells, each with its ADCs, shift-and-add units and
 * row drivers. */
#define XBAR_AREA_PARAMS                                                                           \
    {"arrays", SIM_P_INT, "1", "", 1, 1 << 24, NULL,                                               \
     "physical rows x cols arrays in the unit (area); with tiling a matrix is read over its "      \
     "row_tiles x col_tiles arrays",                                                               \
     "design parameter"},                                                                          \
    {"cell_area_f2", SIM_P_REAL, "48", "F^2", 1e-3, 1e6, NULL, "area of one cell in F^2",          \
     "DNN_NeuroSim V1.3 Param.cpp 1T1R cell 4 F x 12 F = 48 F^2"},                                \
    {"feature_nm", SIM_P_REAL, "40", "nm", 1e-3, 1e4, NULL, "feature size F of the array",         \
     "DNN_NeuroSim V1.3 Param.cpp featuresize 40 nm (wire width at technode 22)"},                \
    {"adc_area_um2", SIM_P_REAL, "1200", "um2", 0.0, 1e9, NULL,                                    \
     "area of one ADC at adc_ref_bits (x 2^(adc_bits - adc_ref_bits))",                            \
     "ISAAC (Shafiee et al., ISCA 2016, 32 nm): 8 ADCs of 8 bits at 1.28 GS/s in 0.0096 mm2"},    \
    {"shift_add_um2", SIM_P_REAL, "60", "um2", 0.0, 1e9, NULL,                                     \
     "area of the shift-and-add unit behind each ADC",                                             \
     "ISAAC (ISCA 2016, 32 nm): 4 shift-and-add units in 0.00024 mm2"},                           \
    {"row_driver_um2", SIM_P_REAL, "0.166", "um2", 0.0, 1e9, NULL,                                 \
     "area of one 1-bit row driver (x 2^(input_bits - 1) with input_mode=dac)",                    \
     "ISAAC (ISCA 2016, 32 nm): 8 x 128 1-bit DACs in 0.00017 mm2"}

/* Cell physics, one table per model. Conductances in uS. `noise` 0 turns
 * random effects off (programming exact, nu = nu_mean, no read noise). */
typedef struct xbar_cell_ops {
    /* conductance after programming towards g_target */
    double (*program)(const xbar_cfg_t *cfg, double g_target_us, sim_rng_t *rng, int noise);
    /* drift exponent of one device, drawn at programming (NULL: no drift) */
    double (*draw_nu)(const xbar_cfg_t *cfg, sim_rng_t *rng, int noise);
    /* conductance read t_s after programming: drift and read noise */
    double (*read)(const xbar_cfg_t *cfg, double g_target_us, double g_prog_us, double nu,
                   double t_s, sim_rng_t *rng, int noise);
    /* expected g(t)/g0 over devices, for global drift compensation (NULL: 1);
     * with noise off every device has nu = nu_mean */
    double (*mean_decay)(const xbar_cfg_t *cfg, double t_s, int noise);
} xbar_cell_ops_t;

/* The cell models (pcm_xbar.c, rram_xbar.c). */
extern const xbar_cell_ops_t xbar_pcm_cell;
extern const xbar_cell_ops_t xbar_rram_cell;

/* Shape of the mapping of a k x n matrix (k inputs, n outputs). */
typedef struct xbar_map {
    int slices;         /* cells per weight magnitude: ceil(mag_bits / bits_per_cell) */
    int pairs;          /* 2 with differential pairs, else 1 */
    int mag_bits;       /* weight_bits - 1 (differential) or weight_bits (offset) */
    uint64_t row_tiles; /* ceil(k / rows) */
    uint64_t col_tiles; /* ceil(n / cols) */
} xbar_map_t;

/* Time and energy of one op, split into parts (energies in pJ). */
typedef struct xbar_cost {
    uint64_t input_cycles;  /* read pulses per vector: input_bits or 1 */
    uint64_t conv_per_adc;  /* columns one ADC converts after each pulse */
    uint64_t acc_cycles;    /* final shift-and-add / adder tree, clock cycles */
    double pulse_ps;        /* one input cycle: DAC + read pulse + conversions */
    double analog_ps;       /* all pulses of the op */
    uint64_t cycles;        /* clock cycles of the op */
    sim_time_t ps;          /* cycles * period */
    double row_activity;    /* driven fraction of rows used for e_cell */
    double cells_read;      /* cells on driven rows over all pulses (activity-weighted) */
    double adc_conv, dac_conv, adds, cells_written;
    double e_cell, e_adc, e_dac, e_acc, e_write, e_total;
} xbar_cost_t;

/* Read energy of one column for one pulse in pJ, as DNN_NeuroSim V1.3 computes
 * it: P = col_power_v2 x (V_read / 0.5) x G_col over sense_ns, G_col (uS) the
 * summed conductance of the cells on driven rows, each in series with its
 * access transistor (xbar_cell_g_us). */
double xbar_col_read_pj(const xbar_cfg_t *cfg, double g_col_us);
/* Conductance (uS) of a cell of conductance g_us in series with the access
 * transistor (access_ohm). */
double xbar_cell_g_us(const xbar_cfg_t *cfg, double g_us);
/* ADC bits that resolve one array read without loss (adc_bits = 0): the
 * largest column sum rows x (2^cell_bits - 1), times the largest input code
 * 2^(input_bits - 1) - 1 with DAC inputs (plus a sign bit). */
int xbar_adc_bits_lossless(int rows, int bits_per_cell, int dac_inputs, int input_bits);

/* dev_ext_t.area of both crossbar models (parameters above). */
int xbar_area(const sim_params_t *p, dev_area_t *out, char *err, size_t n);

/* Load the parameters every crossbar shares (model-specific ones are read by
 * the model). Returns 0 or SIM_ERR_CONFIG with a sentence in err. */
int xbar_cfg_load(xbar_cfg_t *cfg, const char *model, const sim_params_t *p, char *err,
                  size_t errlen);
/* Check combinations of parameters. 0 or SIM_ERR_CONFIG with err. */
int xbar_cfg_check(const xbar_cfg_t *cfg, char *err, size_t errlen);

/* Mapping of a k x n matrix; SIM_ERR_CONFIG with err when it does not fit and
 * tiling is off, or when a dimension is 0. */
int xbar_map(const xbar_cfg_t *cfg, uint64_t k, uint64_t n, xbar_map_t *map, char *err,
             size_t errlen);

/* Closed-form cost of m vectors through a k x n matrix, and of programming a
 * k x n matrix, on a clock of period_ps. */
int xbar_mvm_cost(const xbar_cfg_t *cfg, uint64_t m, uint64_t k, uint64_t n,
                  sim_time_t period_ps, xbar_cost_t *out, char *err, size_t errlen);
int xbar_program_cost(const xbar_cfg_t *cfg, uint64_t k, uint64_t n, sim_time_t period_ps,
                      xbar_cost_t *out, char *err, size_t errlen);

/* What a numeric MVM measured: the driven fraction of rows over all pulses
 * and array tiles (bit-serial: input bit 1; DAC: mean |V_row| / V_read), and
 * the read energy of the cells (xbar_col_read_pj of every column read, from
 * the programmed conductances). */
typedef struct xbar_num_stats {
    double row_activity;
    double e_cell_pj;
    double cell_pulses; /* cell x pulse slots read (driven or not) */
} xbar_num_stats_t;

/* y[n_out] = W[n_out x n_in] x[n_in] as the crossbar computes it: program W
 * (noise), drift to t_s, read (noise), DAC or bit-serial inputs, ADC per
 * column, shift-and-add, unscale. 0 or an error code with err. */
int xbar_mvm_numeric(const xbar_cfg_t *cfg, const xbar_cell_ops_t *ops, const double *W,
                     size_t n_out, size_t n_in, const double *x, double *y, sim_rng_t *rng,
                     double t_s, int noise, char *err, size_t errlen);
/* xbar_mvm_numeric that also fills *stats (when not NULL). */
int xbar_mvm_numeric_stats(const xbar_cfg_t *cfg, const xbar_cell_ops_t *ops, const double *W,
                           size_t n_out, size_t n_in, const double *x, double *y, sim_rng_t *rng,
                           double t_s, int noise, xbar_num_stats_t *stats, char *err,
                           size_t errlen);

/* "1e9" for powers of ten, else %.6g: how endurance appears in messages. */
void xbar_fmt_count(double v, char *buf, size_t len);

/* ---- the component (state shared by both models) ---------------------------- */
typedef struct xbar_state {
    dev_base_t base;        /* clock/occupancy, port "out", shared stats */
    xbar_cfg_t cfg;
    const xbar_cell_ops_t *ops;
    int resident;           /* 1 when weights are programmed */
    uint32_t resident_id;
    /* endurance, per array (allocated when first programmed): one counter
     * per weight position, shared by its slices x pairs cells, which are
     * always written together; a message names the first physical cell */
    uint32_t **writes;      /* writes[array][row * cols + weight column] */
    size_t n_arrays;
    size_t phys_cols;       /* cols * slices * pairs */
    uint32_t max_writes;
    double measured_activity; /* row activity of the last numeric MVM; < 0: none yet */
    /* ledger handles */
    int st_cell, st_adc, st_dac, st_acc, st_write;
    int st_mvm, st_prog, st_vectors, st_conv, st_cells_written, st_max_writes;
} xbar_state_t;

/* Shared init after cfg is loaded: clock, ports, stats, static power. */
int xbar_init(sim_comp_t *c, xbar_state_t *st, const xbar_cell_ops_t *ops);
void xbar_handle(sim_comp_t *c, void *state, const sim_event_t *ev);
void xbar_destroy(sim_comp_t *c, void *state);
/* dev_ext_t.mvm for both models */
int xbar_ext_mvm(sim_comp_t *c, void *state, const double *W, size_t n_out, size_t n_in,
                 const double *x, double *y, const dev_num_ctx_t *ctx);
/* The dev_ext_t of both models: 1 GHz clock, MVM by default, xbar_ext_mvm. */
extern const dev_ext_t xbar_ext;
/* Count one programming of k x n weights against endurance. 0, or
 * SIM_ERR_MODEL with the message "<model> '<name>': cell (r,c) exceeded
 * endurance 1e9 writes" in err. Exposed for tests. */
int xbar_count_writes(xbar_state_t *st, const char *comp_name, uint64_t k, uint64_t n,
                      char *err, size_t errlen);

/* RRAM write energy per cell in pJ (rram_xbar.c): NeuroSim's array write
 * energy in its average case, half SET / half RESET with R_on and R_off 50/50:
 * V_w^2 (G_on + G_off) / 2 * t_w (conductances in uS, pulse in ns). */
double xbar_rram_write_pj(double write_v, double g_on_us, double g_off_us, double pulse_ns);

#ifdef __cplusplus
}
#endif
#endif
