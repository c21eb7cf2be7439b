/* sram: a banked on-chip SRAM buffer (scratchpad). Timing: pipelined access
 * latency plus the transfer time of the busiest bank; energy per word access
 * scaled from Horowitz (ISSCC 2014, 45 nm: 64-bit access of a 32 KB array
 * 20 pJ; 8 KB 10 pJ, 1 MB 100 pJ, i.e. ~sqrt of the array size); leakage per
 * KiB from CACTI 7 by node and cell type (45 nm: hp 1.04, lop 0.059, lstp
 * 0.00017 mW/KiB), optionally with idle banks power-gated. */
#include "devices/dev_common.h"

#include <math.h>
#include <string.h>

typedef struct sram {
    dev_base_t base;
    uint64_t size_bytes, banks, ports, word_bytes, bank_bw, latency_cycles;
    uint64_t words_per_bank;
    int block_interleave;
    double e_read_word_pj, e_write_word_pj;
    dev_leak_t leak;
    int st_e_read, st_e_write, st_reads, st_writes;
} sram_t;

static const sim_param_def_t sram_params[] = {
    {"size_bytes", SIM_P_INT, "262144", "B", 1, 1099511627776.0, NULL, "capacity",
     "design parameter (256 KiB: 8 banks of 32 KiB)"},
    {"banks", SIM_P_INT, "8", "", 1, 65536, NULL, "independent banks", "design parameter"},
    DEV_SRAM_AREA_PARAM,
    {"ports", SIM_P_INT, "1", "", 1, 16, NULL, "ports per bank (each one access per cycle)",
     "design parameter (single-ported 6T arrays)"},
    {"word_bytes", SIM_P_INT, "8", "B", 1, 4096, NULL, "bytes per access (word)",
     "64-bit word, as in the Horowitz reference point"},
    {"bank_bw_bytes", SIM_P_INT, "8", "B/cycle", 1, 65536, NULL,
     "bytes per cycle one port of a bank moves", "one word per cycle"},
    {"latency_cycles", SIM_P_INT, "2", "cycles", 0, 1000, NULL,
     "access latency (pipelined: overlaps the next access)",
     "CACTI-class 32 KB array access ~1 ns at 45 nm, plus an output register at 1 GHz"},
    {"interleave", SIM_P_ENUM, "word", "", 0, 0, "word|block",
     "address map: word = consecutive words in consecutive banks; block = each bank holds one "
     "contiguous range (accesses inside one bank conflict)",
     "design parameter"},
    {"e_read_pj", SIM_P_REAL, "20", "pJ", 0, 1e6, NULL,
     "energy of one 64-bit read of a ref_bank_kb array",
     "Horowitz, Computing's energy problem, ISSCC 2014: 32 KB, 64-bit access 20 pJ (45 nm)"},
    {"e_write_pj", SIM_P_REAL, "20", "pJ", 0, 1e6, NULL,
     "energy of one 64-bit write of a ref_bank_kb array",
     "Horowitz ISSCC 2014 (read and write taken equal)"},
    {"ref_bank_kb", SIM_P_REAL, "32", "KiB", 1e-3, 1e9, NULL,
     "array size of the energy reference point", "Horowitz ISSCC 2014"},
    {"size_scaling", SIM_P_BOOL, "true", "", 0, 0, NULL,
     "scale energy per access with sqrt(bank size / ref_bank_kb)",
     "Horowitz ISSCC 2014: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ (~sqrt of size)"},
    {"cell_type", SIM_P_ENUM, "lstp", "", 0, 0, DEV_SRAM_CELLS,
     "CACTI cell type: hp 1.04, lop 0.059, lstp 0.00017 mW/KiB at 45 nm",
     "CACTI 7, 45 nm, itrs-lstp data cells: an 8 MiB scratchpad is a large, mostly idle array, "
     "the use CACTI's low-standby-power roadmap is for (choice unverified against a CACTI run)"},
    DEV_LEAK_PARAMS,
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int sram_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    sram_t *s = state;
    int rc = dev_base_init(c, &s->base);
    if (rc)
        return rc;
    s->size_bytes = (uint64_t)sim_param_int(p, "size_bytes");
    s->banks = (uint64_t)sim_param_int(p, "banks");
    s->ports = (uint64_t)sim_param_int(p, "ports");
    s->word_bytes = (uint64_t)sim_param_int(p, "word_bytes");
    s->bank_bw = (uint64_t)sim_param_int(p, "bank_bw_bytes");
    s->latency_cycles = (uint64_t)sim_param_int(p, "latency_cycles");
    s->block_interleave = strcmp(sim_param_str(p, "interleave"), "block") == 0;
    if (s->size_bytes % (s->banks * s->word_bytes) != 0)
        return sim_comp_fail(c,
                             "size_bytes %llu is not a multiple of banks x word_bytes "
                             "(%llu x %llu)",
                             (unsigned long long)s->size_bytes,
                             (unsigned long long)s->banks, (unsigned long long)s->word_bytes);
    s->words_per_bank = s->size_bytes / (s->banks * s->word_bytes);
    double bank_kb = (double)s->size_bytes / (double)s->banks / 1024.0;
    int size_scaling = sim_param_bool(p, "size_scaling");
    double ref_kb = sim_param_real(p, "ref_bank_kb"), word = (double)s->word_bytes;
    s->e_read_word_pj =
        dev_sram_access_pj(sim_param_real(p, "e_read_pj"), ref_kb, bank_kb, word, size_scaling);
    s->e_write_word_pj =
        dev_sram_access_pj(sim_param_real(p, "e_write_pj"), ref_kb, bank_kb, word, size_scaling);
    s->st_e_read = sim_stat(c, "energy.read", SIM_STAT_ENERGY, "pJ");
    s->st_e_write = sim_stat(c, "energy.write", SIM_STAT_ENERGY, "pJ");
    s->st_reads = sim_stat(c, "words_read", SIM_STAT_COUNT, "words");
    s->st_writes = sim_stat(c, "words_written", SIM_STAT_COUNT, "words");
    return dev_leak_init_params(c, &s->leak, p, s->banks, bank_kb);
}

/* Words touched by [addr, addr + bytes) and the most any one bank serves. */
static void sram_words(const sram_t *s, uint64_t addr, uint64_t bytes, uint64_t *words,
                       uint64_t *max_bank_words)
{
    uint64_t w0 = addr / s->word_bytes, w1 = (addr + bytes - 1) / s->word_bytes;
    *words = w1 - w0 + 1;
    if (!s->block_interleave) {
        *max_bank_words = dev_ceil_div(*words, s->banks);
        return;
    }
    uint64_t b0 = w0 / s->words_per_bank, b1 = w1 / s->words_per_bank, most = 0;
    for (uint64_t b = b0; b <= b1; b++) {
        uint64_t lo = b * s->words_per_bank, hi = lo + s->words_per_bank - 1;
        uint64_t n = (w1 < hi ? w1 : hi) - (w0 > lo ? w0 : lo) + 1;
        if (n > most)
            most = n;
    }
    *max_bank_words = most;
}

/* The one cost function: the handler charges exactly this. */
static int sram_cost(sim_comp_t *c, const void *state, const dev_req_t *req, dev_cost_t *k)
{
    (void)c;
    const sram_t *s = state;
    memset(k, 0, sizeof *k);
    if ((req->kind != DEV_OP_READ && req->kind != DEV_OP_WRITE) || req->m == 0 ||
        req->k > s->size_bytes || req->m > s->size_bytes - req->k)
        return SIM_ERR_CONFIG;
    uint64_t words, bank_words;
    sram_words(s, req->k, req->m, &words, &bank_words);
    k->issue_cycles = dev_ceil_div(bank_words * s->word_bytes, s->ports * s->bank_bw);
    k->cycles = s->latency_cycles + k->issue_cycles;
    k->energy_pj =
        (double)words * (req->kind == DEV_OP_WRITE ? s->e_write_word_pj : s->e_read_word_pj);
    /* gated banks: the banks this access touches leak fully for its cycles */
    k->energy_pj += dev_leak_energy(&s->leak, dev_ceil_div(words, bank_words),
                                    (double)k->cycles * (double)s->base.unit.period_ps);
    k->bytes = req->m;
    return 0;
}

static void sram_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    sram_t *s = state;
    if (dev_base_take_fwd(c, &s->base, ev))
        return;
    dev_req_t req;
    if (!dev_take_req(c, ev, DEV_OP_BIT(DEV_OP_READ) | DEV_OP_BIT(DEV_OP_WRITE), &req) ||
        dev_mem_check(c, &req, s->size_bytes, "size_bytes"))
        return;
    dev_cost_t k;
    sram_cost(c, s, &req, &k);
    uint64_t words, bank_words;
    sram_words(s, req.k, req.m, &words, &bank_words);
    double k_leak = dev_leak_energy(&s->leak, dev_ceil_div(words, bank_words),
                                    (double)k.cycles * (double)s->base.unit.period_ps);
    int write = req.kind == DEV_OP_WRITE;
    sim_energy(c, write ? s->st_e_write : s->st_e_read, k.energy_pj - k_leak);
    /* gated banks: the banks this access touches leak fully for its cycles */
    dev_leak_op(c, &s->leak, dev_ceil_div(words, bank_words),
                (double)k.cycles * (double)s->base.unit.period_ps);
    sim_stat_add(c, write ? s->st_writes : s->st_reads, (double)words);
    dev_base_op(c, &s->base, ev, &req, k.issue_cycles, k.cycles, k.energy_pj, k.bytes);
}

static int sram_area(const sim_params_t *p, dev_area_t *out, char *err, size_t n)
{
    (void)err, (void)n;
    dev_area_part(out, "sram", dev_sram_area_um2((double)sim_param_int(p, "size_bytes"),
                                                 sim_param_real(p, "sram_mm2_per_mib")));
    return 0;
}

static const dev_ext_t sram_ext = {
    .default_clock_hz = 1e9,
    .default_op = DEV_OP_READ,
    .desc = {DEV_CAT_MEMORY, DEV_OP_BIT(DEV_OP_READ) | DEV_OP_BIT(DEV_OP_WRITE), 0, DEV_MEM_SRAM},
    .cost = sram_cost,
    .area = sram_area,
};

const sim_model_t dev_sram_model = {
    .name = "sram",
    .doc = "banked SRAM buffer: read/write m bytes at address k",
    .state_size = sizeof(sram_t),
    .params = sram_params,
    .init = sram_init,
    .handle = sram_handle,
    .ext = &sram_ext,
};
