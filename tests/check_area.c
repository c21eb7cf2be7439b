/* Tests of the area model (dev_area and the area function of each device model) and of
 * `prism chip area` / `prism chip match`: closed forms from each model's
 * parameters and the figures their sources publish (DNN_NeuroSim V1.3 1T1R
 * 48 F^2 at F = 40 nm; ISAAC's ADC and shift-and-add; TPU v1's MAC and
 * Unified Buffer shares of its die; Lightening-Transformer's MZI, modulator,
 * converter, detector and laser footprints), the committed area-matched
 * configs against the command that writes them, and bad input. */
#include "devices/dev_common.h"
#include "mapper/map.h"
#include "tests/check_cli.h"

#include <cjson/cJSON.h>
#include <math.h>

static void setup(void)
{
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    cli_setup("area");
}

static void teardown(void)
{
    cli_teardown();
}

/* The area of one component `model` with `params` (a YAML flow mapping body). */
static double area_of(const char *model, const char *params, dev_area_t *a)
{
    char text[2048], err[512];
    snprintf(text, sizeof text,
             "name: t\nclocks: {core: 1GHz}\ncomponents:\n  u: {model: %s, clock: core%s%s}\n",
             model, params[0] ? ", " : "", params);
    sim_t *s = NULL;
    int rc = sim_config_load_string(text, "area-test", NULL, &s, err, sizeof err);
    ck_assert_msg(rc == 0, "config of %s: %s", model, err);
    rc = dev_area(sim_comp_find(s, "u"), a, err, sizeof err);
    ck_assert_msg(rc == 0, "dev_area(%s): %s", model, err);
    sim_destroy(s);
    return a->um2;
}

static double part(const dev_area_t *a, const char *name)
{
    for (size_t i = 0; i < a->nparts; i++)
        if (strcmp(a->part[i].name, name) == 0)
            return a->part[i].um2;
    return -1.0;
}

#define NEAR(x, want)                                                                              \
    ck_assert_msg(fabs((x) - (want)) <= 1e-9 * fabs(want) + 1e-9, "%s = %.9g, want %.9g", #x,      \
                  (double)(x), (double)(want))

START_TEST(xbar_closed_form)
{
    dev_area_t a;
    /* 256 x 256 RRAM weights, 8-bit signed on 1-bit cells in G+/G- pairs:
     * 7 magnitude slices x 2 = 14 physical columns per weight column */
    double phys = 256.0 * 14.0;
    double cell = 48.0 * 0.040 * 0.040; /* NeuroSim 1T1R 4F x 12F, F = 40 nm */
    double adcs = phys / 8.0;           /* 8 columns per ADC */
    double adc = 0.0096e6 / 8.0 / 8.0;  /* ISAAC 8-bit ADC, scaled to 5 bits: / 2^3 */
    double one = 256.0 * phys * cell + adcs * adc + adcs * 0.00024e6 / 4.0 +
                 256.0 * 0.166; /* ISAAC: 0.00017 mm2 / 1024 */
    area_of("rram_xbar", "rows: 256, cols: 256", &a);
    NEAR(a.um2, one);
    NEAR(part(&a, "cells"), 256.0 * phys * cell);
    NEAR(part(&a, "adc"), adcs * adc);
    area_of("rram_xbar", "rows: 256, cols: 256, arrays: 36", &a);
    NEAR(a.um2, 36.0 * one);
    /* 4-bit cells: 2 slices; 8-bit DAC inputs: row drivers x 2^7 */
    area_of("pcm_xbar", "rows: 128, cols: 64, bits_per_cell: 4, input_mode: dac, input_bits: 8",
            &a);
    double phys2 = 64.0 * 2.0 * 2.0;
    NEAR(part(&a, "cells"), 128.0 * phys2 * cell);
    NEAR(part(&a, "row_drivers"), 128.0 * 0.166 * 128.0);
}
END_TEST

START_TEST(digital_closed_form)
{
    dev_area_t a;
    /* TPU v1: 24 % of 331 mm2 for 65536 MACs; 29 % for the 24 MiB buffer */
    double mac = 0.24 * 331e6 / 65536.0, mib = 0.29 * 331e6 / 24.0;
    area_of("systolic", "rows: 32, cols: 32", &a);
    ck_assert_msg(fabs(part(&a, "pe") - 1024.0 * mac) < 1024.0 * 1.0, "pe %.1f", part(&a, "pe"));
    ck_assert_msg(fabs(part(&a, "buffers") - 1.5 * mib) < 1.5 * mib * 1e-3, "buffers %.1f",
                  part(&a, "buffers"));
    area_of("systolic", "rows: 16, cols: 8, word_bytes: 2, buffer_banks: 0", &a);
    NEAR(a.um2, 128.0 * 1212.0 * 4.0);
    area_of("sram", "size_bytes: 8388608, banks: 16", &a);
    NEAR(a.um2, 8.0 * 4.0e6);
    /* Horowitz 45 nm: FP32 add 4184 + mult 7700 um2 per lane; 2 KiB register file */
    area_of("vector", "lanes: 64, dtype: fp32", &a);
    NEAR(a.um2, 64.0 * 11884.0 + 2.0 / 1024.0 * 4.0e6);
    area_of("vector", "lanes: 8, dtype: fp16, regfile_kb: 0", &a);
    NEAR(a.um2, 8.0 * 3000.0);
    /* HBM2: no logic-die area, one stack's footprint off the die */
    area_of("dram", "standard: hbm2", &a);
    NEAR(a.um2, 0.0);
    NEAR(a.offdie_um2, 7.75 * 11.87 * 1e6);
    area_of("dram", "standard: ddr4", &a);
    NEAR(a.offdie_um2, 0.0);
    /* 32 B x 8 bits x 5 mm x 80 nm pitch */
    area_of("wire", "width_bytes: 32, length_mm: 5", &a);
    NEAR(a.um2, 256.0 * 5000.0 * 0.08);
}
END_TEST

START_TEST(photonic_closed_form)
{
    dev_area_t a;
    /* Lightening-Transformer: MZI 180 x 100, MZM 260 x 20, DAC 11000, ADC 2850,
     * PD 4 x 10 + TIA 50, laser 400 x 300 um; a driver (DAC) per MZI */
    double n = 12.0;
    double want = n * n * 18000.0 + n * 5200.0 + n * 11000.0 + n * 2850.0 + n * 90.0 +
                  n * n * 11000.0 + 120000.0;
    area_of("mzi_mesh", "n: 12, shifter: mems", &a);
    NEAR(a.um2, want);
    area_of("mzi_mesh", "n: 12, shifter: mems, external_laser: true, wavelengths: 2", &a);
    NEAR(a.um2, want - 120000.0 + n * (5200.0 + 11000.0 + 2850.0 + 90.0));
    /* 6-bit converters: / 4 */
    area_of("adc", "bits: 6, channels: 16", &a);
    NEAR(a.um2, 16.0 * 2850.0 / 4.0);
    area_of("dac", "channels: 3", &a);
    NEAR(a.um2, 3.0 * 11000.0);
    area_of("photodetector", "channels: 16", &a);
    NEAR(a.um2, 16.0 * 90.0);
    area_of("laser", "wavelengths: 12", &a);
    NEAR(a.um2, 12.0 * 120000.0);
    /* rings at 20 um pitch: 12 x 12 weights + 12 input modulators */
    area_of("mrr_bank", "rows: 12, cols: 12", &a);
    NEAR(part(&a, "rings"), 144.0 * 400.0);
    NEAR(part(&a, "modulators"), 12.0 * 400.0);
    NEAR(part(&a, "drivers"), 144.0 * 11000.0);
    /* Mirage: 3 moduli (5, 5, 6 bits) x 64 x 16 MMUs of 250 x 25 um */
    area_of("rns_photonic", "rows: 64, cols: 16", &a);
    NEAR(part(&a, "mmu"), 3.0 * 64.0 * 16.0 * 250.0 * 25.0);
    NEAR(part(&a, "dac"), 16.0 * 11000.0 * (0.125 + 0.125 + 0.25));
    NEAR(part(&a, "laser"), 3.0 * 120000.0);
}
END_TEST

/* A tiled crossbar holds a matrix in row_tiles x col_tiles arrays; more than
 * `arrays` is refused by its cost query (and its handler), as the area
 * counts only `arrays`. */
START_TEST(xbar_arrays_bound_the_matrix)
{
    char text[] = "name: t\nclocks: {core: 1GHz}\ncomponents:\n"
                  "  x: {model: rram_xbar, clock: core, rows: 128, cols: 128, tiling: true, "
                  "arrays: 4}\n";
    char err[512];
    sim_t *s = NULL;
    ck_assert_int_eq(sim_config_load_string(text, "arrays", NULL, &s, err, sizeof err), 0);
    ck_assert_int_eq(sim_init(s), 0);
    dev_req_t r;
    memset(&r, 0, sizeof r);
    r.kind = DEV_OP_MVM;
    r.m = 1;
    r.k = 256; /* 2 x 2 tiles: fits 4 arrays */
    r.n = 256;
    dev_cost_t c;
    ck_assert_int_eq(dev_cost(sim_comp_find(s, "x"), &r, &c, err, sizeof err), 0);
    r.n = 257; /* 2 x 3 tiles */
    ck_assert_int_ne(dev_cost(sim_comp_find(s, "x"), &r, &c, err, sizeof err), 0);
    r.kind = DEV_OP_PROGRAM;
    ck_assert_int_ne(dev_cost(sim_comp_find(s, "x"), &r, &c, err, sizeof err), 0);
    sim_destroy(s);
}
END_TEST

/* The mapper reads that capacity: on hybrid.yaml (256 x 256 arrays, 36 per
 * unit) GPT-2's 768 x 3072 c_fc fits one crossbar unit (3 x 12 arrays),
 * its 768 x 50257 lm_head (3 x 197) does not, and half of c_fc does. */
START_TEST(mapper_respects_xbar_arrays)
{
    map_ctx_t *ctx = NULL;
    char err[1024];
    wl_gen_opts_t wo;
    wl_gen_opts_default(&wo);
    wo.seq = 8;
    ck_assert_msg(map_ctx_open("configs/hybrid.yaml", "gpt2", &wo, &ctx, err, sizeof err) == 0,
                  "%s", err);
    const map_chip_t *chip = map_ctx_chip(ctx);
    ck_assert_uint_eq(chip->xbar_arrays, 36);
    ck_assert_uint_eq(chip->xbar_rows, 256);
    const wl_graph_t *g = map_ctx_graph(ctx);
    const wl_op_t *fc = NULL, *head = NULL;
    for (size_t i = 0; i < wl_graph_op_count(g); i++) {
        const wl_op_t *op = wl_graph_op(g, i);
        if (!strcmp(op->name, "h.0.mlp.c_fc"))
            fc = op;
        if (!strcmp(op->name, "lm_head"))
            head = op;
    }
    ck_assert_ptr_nonnull(fc);
    ck_assert_ptr_nonnull(head);
    map_place_t xb = {MAP_TIER_XBAR, MAP_TIER_XBAR, 100};
    map_place_t half = {MAP_TIER_XBAR, MAP_TIER_DIGITAL, 50};
    ck_assert_int_eq(map_place_valid(chip, fc, &xb), 1);
    ck_assert_int_eq(map_place_valid(chip, head, &xb), 0);
    ck_assert_int_eq(map_place_valid(chip, head, &half), 0);
    ck_assert_int_eq(map_place_valid(chip, fc, &half), 1);
    map_ctx_close(ctx);
}
END_TEST

/* rns_photonic's digital side (issue 17: the iso-area match counts it):
 * per wavelength, cols forward converters (per modulus a 6-bit multiply and
 * add) and rows CRT units (per modulus a 15-bit multiply and add, one more
 * multiply) with an FP32 adder, from Horowitz's 45 nm areas (32-bit mult
 * 3495, add 137, FP32 add 4184 um2; multipliers x (b/32)^2, adders x b/32).
 * Defaults: moduli 31,32,33 (range 32736: 15 bits), 64 x 16, 6-bit mantissas. */
START_TEST(rns_crt_closed_form)
{
    dev_area_t a;
    area_of("rns_photonic", "", &a);
    double mul6 = 3495.0 * (6 / 32.0) * (6 / 32.0), add6 = 137.0 * 6 / 32.0;
    double mul15 = 3495.0 * (15 / 32.0) * (15 / 32.0), add15 = 137.0 * 15 / 32.0;
    double fwd = 3 * (mul6 + add6), crt = 3 * (mul15 + add15) + mul15;
    NEAR(part(&a, "crt"), 16 * fwd + 64 * (crt + 4184.0));
    NEAR(part(&a, "crt"), 483830.5625); /* by hand: 16 x 445.68 + 64 x 7448.43 um2 */
    /* two wavelengths double the lanes */
    dev_area_t b;
    area_of("rns_photonic", "wavelengths: 2", &b);
    NEAR(part(&b, "crt"), 2 * part(&a, "crt"));
}
END_TEST

START_TEST(non_devices_and_bad_input)
{
    char text[] = "name: t\nclocks: {core: 1GHz}\ncomponents:\n"
                  "  d: {model: schedule_driver}\n  r: {model: rns_photonic, clock: core, "
                  "moduli: abc}\n";
    char err[512];
    sim_t *s = NULL;
    ck_assert_int_eq(sim_config_load_string(text, "bad", NULL, &s, err, sizeof err), 0);
    dev_area_t a;
    ck_assert_int_ne(dev_area(sim_comp_find(s, "d"), &a, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "'d'") && strstr(err, "not a device"), "%s", err);
    ck_assert_int_ne(dev_area(sim_comp_find(s, "r"), &a, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "rns_photonic 'r'"), "%s", err);
    ck_assert_int_eq(dev_model_has_area("schedule_driver"), 0);
    ck_assert_int_eq(dev_model_has_area("mzi_mesh"), 1);
    sim_destroy(s);
}
END_TEST


/* Power density (issue 17): every device records its area (stat area_mm2,
 * from its area model); a unit's density is its energy over the run / end
 * time / that area; the config's power_density_limit (or --set) names the
 * units above it, without failing the run. */
START_TEST(power_density_of_a_run)
{
    const char *text = "name: t\nclocks: {core: 1GHz}\ncomponents:\n"
                       "  sa: {model: systolic, clock: core, rows: 32, cols: 32}\n"
                       "  drv: {model: op_driver, requests: \"op=gemm m=128 k=768 n=768\"}\n"
                       "links:\n  - {from: drv.out, to: sa.in, latency: 2ns}\n"
                       "  - {from: sa.out, to: drv.in, latency: 2ns}\n";
    char err[512], note[512];
    sim_t *s = NULL;
    ck_assert_msg(sim_config_load_string(text, "pd", NULL, &s, err, sizeof err) == 0, "%s", err);
    ck_assert_double_eq(sim_power_density_limit(s), SIM_POWER_DENSITY_LIMIT_DEFAULT);
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    sim_finish(s);
    sim_comp_t *sa = sim_comp_find(s, "sa"), *drv = sim_comp_find(s, "drv");
    dev_area_t a;
    ck_assert_int_eq(dev_area(sa, &a, err, sizeof err), 0);
    double area = -1;
    for (size_t i = 0; i < sim_stat_count(sa); i++)
        if (!strcmp(sim_stat_name(sa, i), SIM_STAT_AREA))
            area = sim_stat_value(sa, i);
    NEAR(area, a.um2 * 1e-6);
    double want = sim_energy_pj(sa) / (double)sim_end_ps(s) / area; /* pJ/ps = W */
    NEAR(sim_comp_power_density(sa), want);
    ck_assert(isnan(sim_comp_power_density(drv))); /* no area model */
    ck_assert(want > 0.01 && want < SIM_POWER_DENSITY_LIMIT_DEFAULT);
    ck_assert_uint_eq(sim_power_density_check(s, note, sizeof note), 0);
    ck_assert_str_eq(note, "");
    sim_destroy(s);

    /* the same run under a limit below its density, given with --set */
    char set[64];
    snprintf(set, sizeof set, "power_density_limit=%.6g", want / 2);
    const char *sets[] = {set};
    sim_config_over_t over = {.set = sets, .nset = 1};
    ck_assert_msg(sim_config_load_string(text, "pd", &over, &s, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    sim_finish(s);
    ck_assert_uint_eq(sim_power_density_check(s, note, sizeof note), 1);
    ck_assert_msg(strstr(note, "1 unit above the power density limit") && strstr(note, "'sa'"),
                  "%s", note);
    sim_destroy(s);

    /* a bad limit names the field */
    const char *bad = "name: t\npower_density_limit: -2\nclocks: {core: 1GHz}\ncomponents:\n"
                      "  sa: {model: systolic, clock: core}\n";
    ck_assert_int_ne(sim_config_load_string(bad, "pd", NULL, &s, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "power_density_limit") && strstr(err, "-2"), "%s", err);
}
END_TEST

static double json_num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    ck_assert_msg(cJSON_IsNumber(v), "no number %s", k);
    return v->valuedouble;
}

static cJSON *chip_json(const char *config)
{
    static char out[1 << 20];
    int st = run(out, sizeof out, "%s chip area %s --json", prism, config);
    ck_assert_msg(st == 0, "chip area %s exited %d: %.500s", config, st, out);
    cJSON *j = cJSON_Parse(out);
    ck_assert_msg(j != NULL, "chip area %s --json does not parse: %.300s", config, out);
    return j;
}

/* The largest unit area of `model` on chip j. */
static double unit_mm2(const cJSON *j, const char *model)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(j, "models"))
    {
        if (strcmp(cJSON_GetObjectItemCaseSensitive(m, "model")->valuestring, model) == 0)
            return json_num(m, "unit_mm2");
    }
    ck_abort_msg("no %s on the chip", model);
    return 0.0;
}

START_TEST(committed_baselines_are_area_matched)
{
    SKIP_WITHOUT_PRISM();
    cJSON *h = chip_json("configs/hybrid.yaml");
    double ah = json_num(h, "die_mm2");
    static const char *const chips[][3] = {
        {"configs/all-digital.yaml", "systolic", "digital"},
        {"configs/all-rram.yaml", "rram_xbar", "rram"},
        {"configs/all-photonic.yaml", "ptc", "photonic"},
    };
    char out[8192];
    for (size_t i = 0; i < 3; i++) {
        cJSON *c = chip_json(chips[i][0]);
        double a = json_num(c, "die_mm2"), u = unit_mm2(c, chips[i][1]);
        ck_assert_msg(a <= ah + 1e-9 && ah - a < u, "%s: %.4f mm2 vs hybrid %.4f (unit %.4f)",
                      chips[i][0], a, ah, u);
        /* the committed file is what the command writes today */
        const char *mine = path(strrchr(chips[i][0], '/') + 1);
        int st = run(out, sizeof out, "%s chip match configs/hybrid.yaml --tier %s -o %s", prism,
                     chips[i][2], mine);
        ck_assert_msg(st == 0, "chip match exited %d: %s", st, out);
        st = run(out, sizeof out, "cmp %s %s", chips[i][0], mine);
        ck_assert_msg(st == 0,
                      "%s differs from `prism chip match configs/hybrid.yaml --tier %s`: %s",
                      chips[i][0], chips[i][2], out);
        cJSON_Delete(c);
    }
    cJSON_Delete(h);
}
END_TEST

START_TEST(area_table_and_bad_input)
{
    SKIP_WITHOUT_PRISM();
    char out[16384];
    int st = run(out, sizeof out, "%s chip area configs/hybrid.yaml", prism);
    ck_assert_msg(st == 0 && strstr(out, "logic die:") && strstr(out, "rram_xbar") &&
                      strstr(out, "off-die"),
                  "%s", out);
    st = run(out, sizeof out, "%s chip area configs/hybrid.yaml --set xb0.arrays=1 --components",
             prism);
    ck_assert_msg(st == 0 && strstr(out, "xb0") && strstr(out, "cells"), "%s", out);
    /* a missing file, a bad override, bad options: exit 2 with one line */
    st = run(out, sizeof out, "%s chip area %s", prism, path("nope.yaml"));
    ck_assert_msg(st == 2 && strstr(out, "nope.yaml"), "%d %s", st, out);
    st = run(out, sizeof out, "%s chip area configs/hybrid.yaml --set xb0.feature_nm=-3", prism);
    ck_assert_msg(st == 2 && strstr(out, "feature_nm"), "%d %s", st, out);
    st = run(out, sizeof out, "%s chip area configs/hybrid.yaml --json --csv", prism);
    ck_assert_msg(st == 2, "%d %s", st, out);
    st = run(out, sizeof out, "%s chip match configs/hybrid.yaml --tier analog -o %s", prism,
             path("x.yaml"));
    ck_assert_msg(st == 2 && strstr(out, "analog"), "%d %s", st, out);
    st = run(out, sizeof out,
             "%s chip match configs/hybrid.yaml --tier rram -o configs/hybrid.yaml", prism);
    ck_assert_msg(st == 2 && strstr(out, "input"), "%d %s", st, out);
    st = run(out, sizeof out, "%s chip match configs/chip.yaml --tier rram -o %s", prism,
             path("x.yaml"));
    ck_assert_msg(st == 2 && strstr(out, "no rram unit"), "%d %s", st, out);
    st = run(out, sizeof out, "%s chip frobnicate", prism);
    ck_assert_msg(st == 2, "%d %s", st, out);
    /* a chip whose shared parts already fill it: no room */
    write_file(path("tiny.yaml"), "name: tiny\nclocks: {core: 1GHz}\ncomponents:\n"
                                  "  drv: {model: schedule_driver}\n"
                                  "  sa0: {model: systolic, clock: core, buffer_banks: 0}\n"
                                  "  xb0: {model: rram_xbar, clock: core, rows: 64, cols: 64}\n"
                                  "  gbuf: {model: sram, clock: core, size_bytes: 67108864}\n"
                                  "links:\n"
                                  "  - {from: drv.sa0, to: sa0.in, latency: 2ns}\n"
                                  "  - {from: sa0.out, to: drv.done, latency: 2ns}\n"
                                  "  - {from: drv.xb0, to: xb0.in, latency: 2ns}\n"
                                  "  - {from: xb0.out, to: drv.done, latency: 2ns}\n");
    st = run(out, sizeof out, "%s chip match %s --tier rram -o %s", prism, path("tiny.yaml"),
             path("t2.yaml"));
    ck_assert_msg(st == 0 && strstr(out, "x rram_xbar"), "%d %s", st, out);
    st = run(out, sizeof out, "%s chip area %s", prism, path("t2.yaml"));
    ck_assert_msg(st == 0, "%d %s", st, out);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("area");
    TCase *tc = tcase_create("area");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, xbar_closed_form);
    tcase_add_test(tc, digital_closed_form);
    tcase_add_test(tc, photonic_closed_form);
    tcase_add_test(tc, xbar_arrays_bound_the_matrix);
    tcase_add_test(tc, mapper_respects_xbar_arrays);
    tcase_add_test(tc, rns_crt_closed_form);
    tcase_add_test(tc, non_devices_and_bad_input);
    tcase_add_test(tc, power_density_of_a_run);
    tcase_add_test(tc, committed_baselines_are_area_matched);
    tcase_add_test(tc, area_table_and_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
