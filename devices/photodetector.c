/* photodetector: a photodiode + transimpedance amplifier. Photocurrent =
 * responsivity * optical power (1 A/W; sensitivity -25 dBm and the powers from
 * Lightening-Transformer's device table: photodiode 1.1 mW, TIA 3 mW);
 * energy per sample = (photodiode + TIA power) / sample rate; optional shot and
 * thermal noise, the thermal floor set by the sensitivity (Q = 7 there). */
#include "devices/dev_int.h"

#include <math.h>

/* Timed and charged as a converter (dev_conv_handle): m samples take
 * latency + ceil(m / channels) sample periods, energy per sample = TIA power /
 * rate; conv.bits = 0: the output is an analog current, no bytes. */
typedef struct pd {
    dev_conv_t conv; /* first: the state dev_conv_handle reads */
    double responsivity, sens_ma, bandwidth_hz, q_factor;
    int noise;
} pd_t;

static const sim_param_def_t pd_params[] = {
    {"responsivity_a_per_w", SIM_P_REAL, "1.0", "A/W", 1e-6, 10, NULL, "photodiode responsivity",
     "SimPhony default photodetector, 1 A/W (unverified)"},
    {"sensitivity_dbm", SIM_P_REAL, "-25", "dBm", -100, 30, NULL,
     "optical power for the receiver to reach Q = q_factor",
     "Lightening-Transformer default.yaml photo_detector sensitivity -25 dBm"},
    {"sample_rate_hz", SIM_P_REAL, "5e9", "Hz", 1, 1e13, NULL, "samples per second per channel",
     "Lightening-Transformer photonic core clock, 5 GHz"},
    {"bandwidth_hz", SIM_P_REAL, "0", "Hz", 0, 1e13, NULL,
     "noise bandwidth; 0 = sample_rate_hz / 2 (Nyquist)", "Nyquist bandwidth of the sample rate"},
    {"tia_power_mw", SIM_P_REAL, "3", "mW", 0, 1e4, NULL,
     "TIA power while sampling",
     "Lightening-Transformer default.yaml core interface TIA power 3 mW"},
    {"bias_mw", SIM_P_REAL, "1.1", "mW", 0, 1e4, NULL, "photodiode (bias) power while sampling",
     "Lightening-Transformer default.yaml photo_detector power 1.1 mW"},
    {"latency_ps", SIM_P_REAL, "0", "ps", 0, 1e9, NULL, "detection latency; 0 = one sample period",
     "one sample (integration) period"},
    {"area_um2", SIM_P_REAL, "90", "um2", 0, 1e9, NULL, "area of one photodiode and its TIA",
     "Lightening-Transformer default.yaml: photo_detector 4 x 10 um + TIA area 50 um2"},
    {"channels", SIM_P_INT, "1", "", 1, 1 << 20, NULL,
     "parallel photodetectors; m samples take ceil(m / channels) periods", "design parameter"},
    {"noise", SIM_P_BOOL, "false", "", 0, 0, NULL, "add shot and thermal noise in the numerics",
     "off by default"},
    {"q_factor", SIM_P_REAL, "7", "", 0.1, 100, NULL,
     "receiver Q at the sensitivity (sets the thermal noise floor)",
     "Q = 7 <-> BER 1e-12 for on-off keying (the usual sensitivity definition)"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int pd_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    pd_t *st = state;
    dev_conv_t *cv = &st->conv;
    int rc = dev_base_init(c, &cv->base);
    if (rc)
        return rc;
    st->responsivity = sim_param_real(p, "responsivity_a_per_w");
    st->sens_ma = st->responsivity * dev_dbm_to_mw(sim_param_real(p, "sensitivity_dbm"));
    cv->bits = 0;
    cv->full_scale = 0.0;
    cv->rate_hz = sim_param_real(p, "sample_rate_hz");
    double bw = sim_param_real(p, "bandwidth_hz");
    st->bandwidth_hz = bw > 0.0 ? bw : cv->rate_hz / 2.0;
    cv->e_conv_pj = (sim_param_real(p, "tia_power_mw") + sim_param_real(p, "bias_mw")) * 1e-3 /
                    cv->rate_hz * 1e12;
    double lat = sim_param_real(p, "latency_ps");
    cv->latency_ps = lat > 0.0 ? lat : 1e12 / cv->rate_hz;
    cv->channels = (int)sim_param_int(p, "channels");
    st->noise = sim_param_bool(p, "noise");
    st->q_factor = sim_param_real(p, "q_factor");
    cv->st_energy = sim_stat(c, "energy.pd", SIM_STAT_ENERGY, "pJ");
    cv->st_samples = sim_stat(c, "samples", SIM_STAT_COUNT, "samples");
    if (cv->st_energy < 0 || cv->st_samples < 0)
        return sim_comp_fail(c, "out of memory for stats");
    return 0;
}

/* in: optical power per sample (mW) -> out: photocurrent (mA), with noise when
 * the `noise` parameter and ctx->noise are on. */
static int pd_convert(sim_comp_t *c, void *state, const double *in, double *out, size_t n,
                      const dev_num_ctx_t *ctx)
{
    (void)c;
    const pd_t *st = state;
    int noisy = st->noise && ctx && ctx->noise && ctx->rng;
    for (size_t i = 0; i < n; i++) {
        double i_ma = st->responsivity * in[i];
        if (noisy)
            i_ma += dev_pd_noise_ma(i_ma, st->bandwidth_hz, st->sens_ma, st->q_factor) *
                    sim_rng_next_normal(ctx->rng);
        out[i] = i_ma;
    }
    return 0;
}

static int pd_area(const sim_params_t *p, dev_area_t *out, char *err, size_t n)
{
    (void)err, (void)n;
    dev_area_part(out, "pd", (double)sim_param_int(p, "channels") * sim_param_real(p, "area_um2"));
    return 0;
}

static const dev_ext_t pd_ext = {
    .default_clock_hz = 5e9,
    .default_op = DEV_OP_CONVERT,
    .desc = {DEV_CAT_PHOTONIC, DEV_OP_BIT(DEV_OP_CONVERT), 0, DEV_MEM_NONE},
    .convert = pd_convert,
    .cost = dev_conv_cost,
    .area = pd_area,
};

const sim_model_t dev_photodetector_model = {
    .name = "photodetector",
    .doc = "photodiode + TIA: photocurrent from optical power, energy per sample, optional "
           "shot/thermal noise",
    .state_size = sizeof(pd_t),
    .params = pd_params,
    .init = pd_init,
    .handle = dev_conv_handle,
    .ext = &pd_ext,
};
