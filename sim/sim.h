/* prism's discrete-event engine: the one public header of sim/.
 * Integer picosecond time, pooled events ordered by a fixed key, components
 * built from registered model tables, ports and links with latency and
 * bandwidth, named clocks, counter-based random streams, and one ledger for
 * counters, busy time and energy that the trace writer stores in SQLite. */
#ifndef PRISM_SIM_H
#define PRISM_SIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PRISM_VERSION "0.1.0"

/* ---- time ---------------------------------------------------------------- */
typedef uint64_t sim_time_t; /* picoseconds since the start of the run */
#define SIM_TIME_MAX UINT64_MAX
#define SIM_PS_PER_NS 1000ull
#define SIM_PS_PER_US 1000000ull
#define SIM_PS_PER_MS 1000000000ull
#define SIM_PS_PER_S 1000000000000ull

/* ---- error codes (every call returns 0 or one of these) -------------------- */
/* One numbering for all of prism: a value means the same thing whichever
 * layer returns it (the layers cannot share a header, so each names the
 * values it uses; tests/check_audit.c checks they agree):
 *    0  ok            SIM_OK, WL_OK, WL_FWD_OK, NUM_OK
 *   -1  generic       SIM_ERR, WL_ERR
 *   -2  out of memory SIM_ERR_NOMEM, WL_ERR_NOMEM, WL_FWD_ENOMEM, NUM_ERR_NOMEM
 *   -3  bad argument  SIM_ERR_CONFIG, WL_ERR_ARG, WL_FWD_EINVAL, NUM_ERR_ARG
 *   -4  I/O           SIM_ERR_IO, WL_ERR_IO, WL_FWD_EIO
 *   -5  bad format    WL_ERR_FORMAT, WL_FWD_EFORMAT
 *   -6  unsupported   WL_ERR_UNSUPPORTED
 *   -7  not found     WL_ERR_NOTFOUND, WL_FWD_ENOTFOUND
 *   -8  out of range  NUM_ERR_RANGE
 *   -9  wrong state   SIM_ERR_STATE
 *  -10  model failed  SIM_ERR_MODEL
 *  -11  executor      WL_ERR_EXEC, WL_FWD_EEXEC */
enum {
    SIM_OK = 0,
    SIM_ERR = -1,        /* generic; see sim_errmsg */
    SIM_ERR_NOMEM = -2,
    SIM_ERR_CONFIG = -3, /* bad configuration or parameter */
    SIM_ERR_IO = -4,     /* file or database error */
    SIM_ERR_STATE = -9,  /* call not valid in the current state */
    SIM_ERR_MODEL = -10, /* a model reported a failure during the run */
};

typedef struct sim sim_t;           /* one simulation (opaque) */
typedef struct sim_comp sim_comp_t; /* one component instance (opaque) */

/* ---- events -------------------------------------------------------------- */
/* The default (and smallest) payload of an event. A run can ask for more with
 * sim_opts_t.payload_bytes; handlers then reach the whole payload through
 * sim_event_payload(ev) (the `data` union names only the first 48 bytes). */
#define SIM_PAYLOAD_BYTES 48
#define SIM_PAYLOAD_MAX 1024

/* An event as a handler sees it. The engine owns the memory; the handler must
 * not keep the pointer past its return. Ordering key: (time, prio, src, seq). */
typedef struct sim_event {
    sim_time_t time; /* delivery time, ps */
    uint64_t seq;    /* per-source sequence number */
    uint32_t src;    /* sending component id */
    uint32_t dst;    /* receiving component id */
    uint16_t port;   /* receiving port index on dst (SIM_PORT_SELF when sent to itself) */
    uint16_t kind;   /* model-defined message kind */
    uint8_t prio;    /* smaller runs first among equal times */
    uint8_t pad_[3];
    uint32_t pool_idx_; /* engine-private: the event's slot in the pool */
    uint64_t op_id;  /* workload op this event belongs to, 0 when none */
    union {
        uint64_t u64[SIM_PAYLOAD_BYTES / 8];
        double f64[SIM_PAYLOAD_BYTES / 8];
        unsigned char bytes[SIM_PAYLOAD_BYTES];
    } data;
} sim_event_t;

/* The payload of an event: sim_payload_bytes(sim) bytes. */
static inline const void *sim_event_payload(const sim_event_t *ev) { return ev->data.bytes; }

#define SIM_PORT_SELF 0xffffu

/* ---- parameters ---------------------------------------------------------- */
typedef enum { SIM_P_INT, SIM_P_REAL, SIM_P_BOOL, SIM_P_STR, SIM_P_ENUM } sim_ptype_t;

/* One parameter of a model, as data: the config loader checks type and range
 * against it, `prism op --list` prints it, docs cite `source`. */
typedef struct sim_param_def {
    const char *name;
    sim_ptype_t type;
    const char *def;     /* default as text ("32", "1.5e-3", "true", "ws") */
    const char *unit;    /* "ps", "pJ", "mW", "bits", "" */
    double min, max;     /* inclusive range for INT/REAL (min > max: unchecked) */
    const char *choices; /* ENUM: "os|ws|is" */
    const char *doc;     /* one line */
    const char *source;  /* where the default comes from */
} sim_param_def_t;

typedef struct sim_params sim_params_t; /* resolved values of one component */

int64_t sim_param_int(const sim_params_t *p, const char *name);
double sim_param_real(const sim_params_t *p, const char *name);
int sim_param_bool(const sim_params_t *p, const char *name);
const char *sim_param_str(const sim_params_t *p, const char *name); /* STR and ENUM */
int sim_param_is_set(const sim_params_t *p, const char *name); /* given explicitly */
/* A lookup of a name the model does not declare answers 0 or "" and is kept:
 * the first such name, or NULL. sim_init fails a component whose init looked
 * one up (SIM_ERR_MODEL, naming the parameter); so does dev_area. */
const char *sim_params_undeclared(const sim_params_t *p);
size_t sim_params_count(const sim_params_t *p);
const sim_param_def_t *sim_params_def(const sim_params_t *p, size_t i);
const char *sim_params_text(const sim_params_t *p, size_t i); /* value as text */

/* ---- models -------------------------------------------------------------- */
/* A model is a table of functions registered by name; the engine never knows
 * what a model is. `state_size` bytes are allocated (zeroed) per instance. */
typedef struct sim_model {
    const char *name;
    const char *doc;
    size_t state_size;
    const sim_param_def_t *params; /* terminated by an entry with name == NULL */
    /* Called once after all components and links exist. Read parameters,
     * look up ports, register stats, schedule first events. Return 0 or an
     * error after sim_comp_fail(). */
    int (*init)(sim_comp_t *c, void *state, const sim_params_t *p);
    /* Called for every event delivered to the component. */
    void (*handle)(sim_comp_t *c, void *state, const sim_event_t *ev);
    /* Clocked models: called on each edge of the component's clock while it is
     * awake (see sim_clock_wake). Return 0 to go to sleep, 1 to stay awake. */
    int (*tick)(sim_comp_t *c, void *state, uint64_t cycle);
    /* Called once when the run ends (complete or not), before stats are read. */
    void (*finish)(sim_comp_t *c, void *state);
    /* Optional: free what init allocated. */
    void (*destroy)(sim_comp_t *c, void *state);
    const void *ext; /* model-family extension (e.g. devices' numerics table) */
    /* Optional port declarations: NULL-terminated lists of glob patterns
     * ("in", "out*"). When given, a link to an undeclared port is a config
     * error naming the port; NULL accepts any name. */
    const char *const *in_ports;
    const char *const *out_ports;
} sim_model_t;

int sim_model_register(const sim_model_t *m); /* process-wide; idempotent by name */
const sim_model_t *sim_model_find(const char *name);
size_t sim_model_count(void);
const sim_model_t *sim_model_at(size_t i); /* sorted by name */

/* ---- building a simulation ----------------------------------------------- */
typedef struct sim_opts {
    uint64_t seed;
    sim_time_t until_ps;     /* 0: run until no events are left */
    sim_time_t lookahead_ps; /* minimum delay of sim_send_direct to another component */
    uint32_t payload_bytes;  /* event payload, 0: SIM_PAYLOAD_BYTES; at most SIM_PAYLOAD_MAX */
    /* power density (W/mm^2) above which a unit is reported (the config's
     * power_density_limit); 0: SIM_POWER_DENSITY_LIMIT_DEFAULT */
    double power_density_limit;
} sim_opts_t;

sim_t *sim_create(const sim_opts_t *opts);
void sim_destroy(sim_t *s); /* NULL is a no-op */
const char *sim_errmsg(const sim_t *s);
uint32_t sim_payload_bytes(const sim_t *s); /* payload of every event of this run */
int sim_set_error(sim_t *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clocks: frequency in Hz; period rounded to whole ps (reported back). */
int sim_add_clock(sim_t *s, const char *name, double freq_hz);
int sim_clock_find(const sim_t *s, const char *name); /* index or -1 */
sim_time_t sim_clock_period_ps(const sim_t *s, int clock);
size_t sim_clock_count(const sim_t *s);
const char *sim_clock_name(const sim_t *s, int clock);
double sim_clock_freq_hz(const sim_t *s, int clock);

/* Components: `params` is a list of name=value text pairs (NULL-terminated
 * array of 2*n strings) checked against the model's table. `clock` may be
 * NULL (unclocked). Returns the component id (>= 0) or an error code. */
int sim_add_component(sim_t *s, const char *name, const char *model, const char *clock,
                      const char *const *params);
/* As above with a location for messages ("file:line:col"), may be NULL. */
int sim_add_component_at(sim_t *s, const char *name, const char *model, const char *clock,
                         const char *const *params, const char *where);

/* Links: one direction, "comp.port" to "comp.port". Latency in ps; bandwidth
 * in bytes per ns (GB/s), 0 = unlimited. A message of B bytes occupies the
 * link for ceil(B / bw) and arrives `latency` after it leaves. */
int sim_add_link(sim_t *s, const char *from, const char *to, sim_time_t latency_ps,
                 double bandwidth_gbps);
int sim_add_link_at(sim_t *s, const char *from, const char *to, sim_time_t latency_ps,
                    double bandwidth_gbps, const char *where);

/* Check links (no zero-latency cycles), then init every component. */
int sim_init(sim_t *s);

/* ---- running ------------------------------------------------------------- */
/* Run events until `until_ps` (exclusive), `max_events` were handled, or the
 * queue is empty. Returns 0, or an error if a model failed. Can be called
 * repeatedly (the libev loop runs slices). */
int sim_run(sim_t *s, sim_time_t until_ps, uint64_t max_events);
int sim_done(const sim_t *s);      /* queue empty or end time reached */
void sim_finish(sim_t *s);         /* call finish on every component once */
sim_time_t sim_now(const sim_t *s);
uint64_t sim_events_handled(const sim_t *s);
sim_time_t sim_lookahead_ps(const sim_t *s); /* min link latency and direct-send lookahead */
sim_time_t sim_end_ps(const sim_t *s);       /* end time of the run */
uint64_t sim_seed(const sim_t *s);
sim_time_t sim_until_ps(const sim_t *s);    /* the run's end time (0: none) */

/* ---- inside a model ------------------------------------------------------- */
sim_t *sim_of(sim_comp_t *c);
uint32_t sim_comp_id(const sim_comp_t *c);
const char *sim_comp_name(const sim_comp_t *c);
const char *sim_comp_model(const sim_comp_t *c);
sim_time_t sim_comp_now(const sim_comp_t *c);
/* A model reports a fatal problem (bad parameter combination, endurance
 * exceeded): the run stops with this message. Returns SIM_ERR_MODEL. */
int sim_comp_fail(sim_comp_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like sim_comp_fail, for a request the model does not do at all (bad input
 * rather than a failure of the model): sim_fail_code gives SIM_ERR_CONFIG. */
int sim_comp_reject(sim_comp_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 0 while the run is healthy; SIM_ERR_MODEL or SIM_ERR_CONFIG once failed. */
int sim_fail_code(const sim_t *s);

/* Ports are created by links; a model looks them up by name at init.
 * Returns the port index or -1 when no link uses that name. */
int sim_port(sim_comp_t *c, const char *name);
int sim_port_count(const sim_comp_t *c);
const char *sim_port_name(const sim_comp_t *c, int port);
int sim_port_is_out(const sim_comp_t *c, int port);
/* Earliest time a message of `bytes` sent now on `port` would arrive. */
sim_time_t sim_port_arrival(const sim_comp_t *c, int port, uint32_t bytes);

/* A message to send. Fill what you need; zero-initialise the rest. */
typedef struct sim_msg {
    uint16_t kind;
    uint8_t prio;
    uint32_t bytes;    /* size on the link (bandwidth) */
    uint64_t op_id;
    const void *data;  /* copied into the event payload */
    size_t data_len;   /* <= sim_payload_bytes(sim) */
} sim_msg_t;

/* Send over an output port: arrives at the linked component's input port after
 * serialization and latency, plus `extra_delay_ps` before it leaves. */
int sim_send(sim_comp_t *c, int port, const sim_msg_t *m, sim_time_t extra_delay_ps);
/* Send to any component by id without a link (PDES style, as ROSS's
 * tw_event_new): the delay must be >= the run's lookahead_ps unless dst is
 * the sender. Used by models whose fan-out is not a fixed topology (PHOLD). */
int sim_send_direct(sim_comp_t *c, uint32_t dst, sim_time_t delay_ps, uint16_t kind, uint64_t a,
                    uint64_t b);
#define SIM_PORT_DIRECT 0xfffeu

/* Schedule an event to yourself. */
int sim_self(sim_comp_t *c, sim_time_t delay_ps, const sim_msg_t *m);
int sim_self_cycles(sim_comp_t *c, uint64_t cycles, const sim_msg_t *m);
/* Fast paths for the common case (no payload beyond two words). */
int sim_self_kind(sim_comp_t *c, sim_time_t delay_ps, uint16_t kind, uint64_t a, uint64_t b);
int sim_send_kind(sim_comp_t *c, int port, uint16_t kind, uint32_t bytes, uint64_t a,
                  uint64_t b);

/* Clock of the component (-1 if none); cycles <-> ps. */
int sim_comp_clock(const sim_comp_t *c);
sim_time_t sim_comp_period_ps(const sim_comp_t *c);
uint64_t sim_comp_cycle(const sim_comp_t *c); /* current cycle of its clock */
/* Wake a clocked component. The rule: its tick runs on the first edge of its
 * clock, at or after now, that has not run yet. So a message handled at an
 * edge's instant (messages of an instant run before its edges) is seen by
 * that edge's tick whether the receiver was awake or asleep; a wake from
 * inside a tick (or from an event after the edge of the same instant) means
 * the next edge. A tick may find nothing to do; it then returns 0. */
void sim_clock_wake(sim_comp_t *c);
/* Wake at cycle `cycle` of the component's clock (or at the first edge that
 * has not run, if that cycle is past). Up to 63 cycles ahead costs no heap
 * event. A component already awake stays awake; the wake still holds if it
 * sleeps before then. */
void sim_clock_wake_at(sim_comp_t *c, uint64_t cycle);

/* ---- clocked channels ------------------------------------------------------ */
/* A channel carries fixed-size records from one clocked component to another
 * on the same clock, `latency` cycles (>= 1) after the send, and credit
 * tokens back `credit_latency` cycles after they are returned. Records and
 * credits never go through the event queue: the receiver (or the sender,
 * for credits) is woken on the exact arrival cycle. At most `capacity`
 * records may be in flight (sent, not popped). Channels are made by
 * component id and port number, so large regular networks need no names. */
typedef struct sim_chan sim_chan_t;
typedef struct sim_chan_opts {
    uint32_t rec_bytes;       /* size of one record, 1..64 */
    uint32_t latency;         /* cycles from send to visible at the receiver, >= 1 */
    uint32_t capacity;        /* records in flight or unread, >= 1 */
    uint32_t credits;         /* initial credit count of the sender */
    uint32_t credit_latency;  /* cycles from sim_chan_credit to visible at the sender, >= 1 */
    uint32_t credit_capacity; /* tokens in flight or untaken; 0: capacity + credits +
                                 2 x (credit_latency + 1) */
} sim_chan_opts_t;
/* Channel from out-port `from_port` of component `from` to in-port `to_port`
 * of `to` (port numbers are the models' own, counted separately from named
 * ports). Returns the channel index or an error code (message in sim_errmsg). */
int sim_add_chan(sim_t *s, uint32_t from, int from_port, uint32_t to, int to_port,
                 const sim_chan_opts_t *o);
size_t sim_chan_count(const sim_t *s);
/* A component's channels by port number (NULL when not connected). */
sim_chan_t *sim_chan_out(sim_comp_t *c, int port);
sim_chan_t *sim_chan_in(sim_comp_t *c, int port);
int sim_chan_out_count(const sim_comp_t *c); /* highest port + 1 */
int sim_chan_in_count(const sim_comp_t *c);
/* Sender: append a record (rec_bytes copied). Fails the component (and
 * returns SIM_ERR_MODEL) when `capacity` records are already in flight. */
int sim_chan_send(sim_chan_t *ch, const void *rec);
/* Sender: credits = initial - sent + tokens arrived (taken or not). */
int64_t sim_chan_credits(sim_chan_t *ch);
/* Sender: take the oldest credit token that has arrived; 1 if one, else 0. */
int sim_chan_credit_take(sim_chan_t *ch, uint32_t *token);
/* Receiver: the oldest record if it has arrived (else NULL); pop removes it. */
const void *sim_chan_peek(sim_chan_t *ch);
void sim_chan_pop(sim_chan_t *ch);
/* Receiver: send a credit token back to the sender. */
int sim_chan_credit(sim_chan_t *ch, uint32_t token);
/* Bit p set: in-channel p holds records (arrived or not) / out-channel p
 * holds credit tokens; ports below 64. A tick polls only these. */
uint64_t sim_chan_in_busy(const sim_comp_t *c);
uint64_t sim_chan_credit_busy(const sim_comp_t *c);
/* Records in flight or unread; credit tokens in flight or untaken. */
uint32_t sim_chan_pending(const sim_chan_t *ch);
uint32_t sim_chan_credit_pending(const sim_chan_t *ch);
uint64_t sim_chan_sent(const sim_chan_t *ch);

/* Counter-based random numbers: a function of (seed, component id, draw
 * index) only, so draws do not depend on event interleaving. */
uint64_t sim_rng_u64(sim_comp_t *c);
double sim_rng_uniform(sim_comp_t *c);     /* (0, 1) */
double sim_rng_normal(sim_comp_t *c);      /* N(0, 1) */
double sim_rng_exp(sim_comp_t *c, double mean);
/* The same generator for code that is not a component (numerics, mapper). */
typedef struct sim_rng {
    uint64_t key;
    uint64_t counter;
} sim_rng_t;
void sim_rng_init(sim_rng_t *r, uint64_t seed, uint64_t stream);
uint64_t sim_rng_next(sim_rng_t *r);
double sim_rng_next_uniform(sim_rng_t *r);
double sim_rng_next_normal(sim_rng_t *r);

/* ---- the ledger: counters, busy time, energy ------------------------------ */
typedef enum {
    SIM_STAT_COUNT,  /* events, operations, bytes */
    SIM_STAT_ENERGY, /* pJ, by category (dynamic, per operation kind) */
    SIM_STAT_VALUE,  /* last/max value, e.g. queue depth */
} sim_stat_kind_t;

/* Register a named stat at init; returns a handle (>= 0) for the hot path. */
int sim_stat(sim_comp_t *c, const char *name, sim_stat_kind_t kind, const char *unit);
void sim_stat_add(sim_comp_t *c, int handle, double v);
void sim_stat_max(sim_comp_t *c, int handle, double v);
double sim_stat_get(const sim_comp_t *c, int handle);
/* Energy in pJ under a category ("dynamic.mvm", "adc", ...). */
void sim_energy(sim_comp_t *c, int handle, double pj);
/* Static power in mW, integrated over the run's duration at finish. */
void sim_static_power_mw(sim_comp_t *c, double mw);
/* Busy time: the component was occupied over [start, start + dur). Busy
 * time is the union of these intervals: an interval that overlaps the end of
 * the previous one counts only its part after it (give them in start order). */
void sim_busy(sim_comp_t *c, sim_time_t start_ps, sim_time_t dur_ps);
sim_time_t sim_busy_ps(const sim_comp_t *c);
double sim_energy_pj(const sim_comp_t *c); /* dynamic + static so far */

/* ---- power density ---------------------------------------------------------
 * A model that knows its silicon area records it at init as the value stat
 * SIM_STAT_AREA ("area_mm2", mm^2; devices do it from their area model). A
 * component's power density is its energy over the run (dynamic + static)
 * divided by the run's end time and by that area: pJ / ps = W. Components
 * without the stat have none. The limit is the config's power_density_limit
 * (W/mm^2), by default about what forced-air cooling removes from a die:
 * 100 W/cm^2 = 1 W/mm^2 (the figure behind the fixed chip power budgets of
 * dark silicon, Esmaeilzadeh et al., "Dark Silicon and the End of Multicore
 * Scaling", ISCA 2011; ITRS assembly and packaging tables; an approximate,
 * commonly quoted figure, not re-read from those sources here). A unit above
 * it is reported, the run does not fail. */
#define SIM_STAT_AREA "area_mm2"
#define SIM_POWER_DENSITY_LIMIT_DEFAULT 1.0
double sim_power_density_limit(const sim_t *s); /* W/mm^2 */
/* c's average power over the run divided by its area (W/mm^2); NAN when it
 * records no area (or 0), or the run has not advanced. */
double sim_comp_power_density(const sim_comp_t *c);
/* The components above the limit: their number, and in `note` (may be NULL)
 * one sentence naming the worst and its figure. */
size_t sim_power_density_check(const sim_t *s, char *note, size_t n);

/* ---- tracing ------------------------------------------------------------- */
/* Record an activity in the trace (no-op without a trace or when filtered
 * out). `op` is a string interned once by sim_trace_op. */
int sim_trace_op(sim_comp_t *c, const char *op); /* returns an op handle */
void sim_trace(sim_comp_t *c, int op, sim_time_t start_ps, sim_time_t dur_ps, uint64_t bytes,
               double energy_pj, uint64_t op_id);
int sim_tracing(const sim_comp_t *c); /* 1 when this component's records are kept */

/* ---- inspection (for reports, tests, the CLI) ------------------------------ */
size_t sim_comp_count(const sim_t *s);
size_t sim_pending(const sim_t *s); /* events in the queue */
sim_comp_t *sim_comp_at(sim_t *s, size_t id);
sim_comp_t *sim_comp_find(sim_t *s, const char *name);
void *sim_comp_state(sim_comp_t *c);
const sim_params_t *sim_comp_params(const sim_comp_t *c);
size_t sim_stat_count(const sim_comp_t *c);
const char *sim_stat_name(const sim_comp_t *c, size_t i);
const char *sim_stat_unit(const sim_comp_t *c, size_t i);
sim_stat_kind_t sim_stat_kind(const sim_comp_t *c, size_t i);
double sim_stat_value(const sim_comp_t *c, size_t i);
double sim_static_energy_pj(const sim_comp_t *c);
double sim_static_mw(const sim_comp_t *c); /* the static power set by the model */
uint64_t sim_comp_events(const sim_comp_t *c); /* events delivered to it */

size_t sim_link_count(const sim_t *s);
/* Link i: endpoints, latency, bandwidth, and what went over it. */
typedef struct sim_link_info {
    const char *from, *to; /* "comp.port" */
    sim_time_t latency_ps;
    double bandwidth_gbps;
    uint64_t messages, bytes;
    sim_time_t busy_ps;
} sim_link_info_t;
void sim_link_get(const sim_t *s, size_t i, sim_link_info_t *out);

/* ---- trace writer hook ---------------------------------------------------- */
/* The trace writer (trace.h) registers a sink; the engine hands it activity
 * rows. Kept here so sim.c does not depend on SQLite. */
typedef struct sim_trace_row {
    sim_time_t time_ps, duration_ps;
    uint32_t comp;
    uint16_t op;  /* interned op name (per run) */
    uint16_t kind;/* 0 = activity; 1 = message delivered; 2 = message sent */
    uint64_t bytes;
    double energy_pj;
    uint64_t op_id;
} sim_trace_row_t;
typedef struct sim_trace_sink {
    void *ctx;
    void (*row)(void *ctx, const sim_trace_row_t *r);
    /* filter: returns 1 to keep rows from this component/op */
    int (*keep)(void *ctx, uint32_t comp, const char *op);
} sim_trace_sink_t;
void sim_set_trace_sink(sim_t *s, const sim_trace_sink_t *sink);
const char *sim_op_name(const sim_t *s, int op);
size_t sim_op_count(const sim_t *s);
/* Also trace every delivered message (kind 1 rows, op = "msg.<kind>"). */
void sim_set_trace_messages(sim_t *s, int on);

/* Units in text: times "10us", "250 ns", "3 ps", "1e6" (bare = ps);
 * frequencies "1GHz", "500 MHz", "2e9" (bare = Hz); bandwidths "16GB/s",
 * "100 Gb/s", "8" (bare = GB/s, i.e. bytes per ns). 0 or -1. */
int sim_parse_time(const char *text, sim_time_t *out);
/* A decimal count: digits only (no sign, no space, no suffix), below 2^64. */
int sim_parse_uint(const char *text, uint64_t *out);
/* A run's time limit: a time > 0, or "none" (no limit: *out = 0, the
 * engine's encoding). 0 for ok, 1 when the text is a time of 0 (refused: it
 * used to mean "no limit" silently), 2 when a non-zero number has no unit
 * ("5": ps or us? refused wherever until is given), -1 when it is not a
 * time. */
int sim_parse_until(const char *text, sim_time_t *out);
int sim_parse_freq(const char *text, double *hz);
int sim_parse_bandwidth(const char *text, double *gbytes_per_s);
/* "1.5 us" style rendering of a time, for people. */
const char *sim_fmt_time(sim_time_t ps, char *buf, size_t n);

/* ---- configuration files ---------------------------------------------------- */
/* Build a simulation from a YAML file (clocks, components, links; see
 * docs/config.md). Fields given in `over` (seed_set/until_set) replace the
 * file's. On success *out is built but not initialised (call sim_init) and
 * *text_out (if not NULL) holds the file text (free it). On error returns
 * NULL-out, a code, and a message naming file:line:column and the field. */
/* Limits of a config file: its size and how deep mappings and lists nest. */
#define SIM_CONFIG_MAX_BYTES (16 << 20)
#define SIM_CONFIG_MAX_DEPTH 64
typedef struct sim_config_over {
    int seed_set;
    uint64_t seed;
    int until_set;
    sim_time_t until_ps;
    /* "key=value" overrides applied to the file before it is read (prism run
     * --set; docs/config.md "Overrides"): seed, until, lookahead,
     * clocks.NAME, COMPONENT.PARAM, links.latency, links[N|PORT].bandwidth */
    const char *const *set;
    size_t nset;
} sim_config_over_t;
int sim_config_load(const char *path, const sim_config_over_t *over, sim_t **out, char **text_out,
                    char *err, size_t errlen);
int sim_config_load_string(const char *text, const char *name, const sim_config_over_t *over,
                           sim_t **out, char *err, size_t errlen);

/* Blocks other layers add to the config language: a top-level key (e.g.
 * `network`) whose value is a mapping of scalars. After clocks and
 * components are built and before links (so links can name what the block
 * made), `expand` gets the sim, the pairs (name, value, ..., NULL) and the
 * block's file:line; it returns 0 or -1 with a message naming the field.
 * Process-wide, like models; registering a key twice keeps the first. */
typedef int (*sim_config_block_fn)(sim_t *s, const char *const *kv, const char *where, char *err,
                                   size_t errlen);
int sim_config_register_block(const char *key, sim_config_block_fn expand);
/* Reads the config file `path` as sim_config_load does (include:, merge
 * keys) and calls `entry` with each name: value of its top-level block `key`
 * and where the entry stands (file:line:col); only that block is read.
 * Returns 0; 1 when the file has no such block; or a negative code with a
 * message naming file:line:col in err (a non-zero return of `entry`, with its
 * message in err, stops the walk and is returned). */
typedef int (*sim_config_entry_fn)(void *ctx, const char *name, const char *value,
                                   const char *where, char *err, size_t errlen);
int sim_config_read_block(const char *path, const char *key, sim_config_entry_fn entry, void *ctx,
                          char *err, size_t errlen);

/* ---- cancellable timers (sim/timer.c) ---------------------------------------- */
/* A timer a model owns (zero-initialise it). Arming schedules a self event of
 * `kind` at absolute time at_ps (payload u64[0] = arg) and supersedes any
 * earlier arming; cancel stops it. In handle, sim_timer_fired(t, ev) is 1
 * exactly when ev is the live expiry of t (then t is disarmed) and 0 for a
 * superseded or cancelled one, which the model ignores. `prio` orders the
 * expiry among events of the same time (larger runs later). */
typedef struct sim_timer {
    uint64_t gen;
    sim_time_t at;
    int armed;
} sim_timer_t;
int sim_timer_arm(sim_comp_t *c, sim_timer_t *t, sim_time_t at_ps, uint16_t kind, uint8_t prio,
                  uint64_t arg);
void sim_timer_cancel(sim_timer_t *t);
int sim_timer_fired(sim_timer_t *t, const sim_event_t *ev);

/* Built-in models of sim/ and the other layers register through these. */
void sim_register_builtin_models(void);
extern const sim_model_t sim_phold_model;

#ifdef __cplusplus
}
#endif
#endif
