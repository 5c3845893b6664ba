//! The wasmtime engine: epoch interruption, the on-disk compilation cache and — where
//! the address space allows it — the pooling instance allocator, set up as Spin's own
//! engine is (spin `crates/core/src/lib.rs`): every request's instance takes a slot of
//! memory, tables and an async stack reserved once at start-up and reused, instead of
//! mapping and unmapping them per request (each unmap a TLB shootdown on every core).
//!
//! The pool holds [`INSTANCES`] component instances and memories and twice as many
//! tables; [`slots`] says how many instances of a given component fit in it at once,
//! and [`crate::runtime::ComponentRuntime`] admits no more (a request beyond waits for a
//! slot rather than failing to instantiate).

use wasmtime::{
    Cache, CacheConfig, Config, Enabled, Engine, InstanceAllocationStrategy, MemoryType,
    PoolingAllocationConfig, ProfilingStrategy, ResourcesRequired, Store,
};

/// Environment variable that, when set, makes edge-host write a perf map of the
/// component's compiled code (wasmtime's `ProfilingStrategy::PerfMap`).
pub const PERF_MAP_VARIABLE: &str = "EDGE_HOST_PERF_MAP";

/// Component instances alive at once, at most (requests being answered, and guests
/// still working after their response). Spin's default.
pub const INSTANCES: u32 = 1_000;
/// Linear memories in the pool (edge-api's component has one).
const TOTAL_MEMORIES: u32 = INSTANCES;
/// Tables in the pool (edge-api's component has two).
const TOTAL_TABLES: u32 = 2 * INSTANCES;
/// Core instances one component may have (Spin's limit). The pool counts core
/// instances without reserving anything for them, so it holds this many for every
/// component instance and never runs out of them first.
const CORE_INSTANCES_PER_COMPONENT: u32 = 200;

/// Bytes of each linear memory kept mapped between instances and reset in place rather
/// than returned to the kernel (`madvise`) and faulted in again by the next request.
/// With [`pagemap_scan`](PoolingAllocationConfig::pagemap_scan) (Linux 6.7+) only the
/// pages a request dirtied are reset (copied back from the memory image or zeroed), up
/// to this many bytes; the rest is decommitted. As large as the component's initial
/// memory (edge-api's `build.rs`), so a request's pages stay mapped from one instance to
/// the next. Without `PAGEMAP_SCAN` this many bytes would be `memset` per request,
/// which costs more than it saves (edge-host's `GET /api/time`: 330 µs of CPU against
/// 160 µs with nothing kept, `cargo xtask bench --edge-host-only`, 2026-12-02), so then
/// nothing is kept.
const MEMORY_KEEP_RESIDENT: usize = 4 << 20;
/// The same for tables (edge-api's two tables take a few KiB).
const TABLE_KEEP_RESIDENT: usize = 1 << 20;

/// Address bits the pool needs (1,000 memories of 4 GiB reservation and their guards,
/// about 6 TiB): as Spin probes, some aarch64 and riscv64 kernels offer only 39.
const POOL_ADDRESS_BITS: u32 = 42;

/// A new engine; errors are wasmtime's, as text.
pub fn new_engine() -> Result<Engine, String> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    // For `perf`: names of the component's compiled functions in /tmp/perf-<pid>.map
    // (`cargo xtask bench` sets this for its CPU profile).
    if std::env::var_os(PERF_MAP_VARIABLE).is_some() {
        config.profiler(ProfilingStrategy::PerfMap);
    }
    // On-disk compilation cache in the user's cache directory (as `wasmtime` itself
    // uses). Optional: without it start-up is only slower.
    match Cache::new(CacheConfig::new()) {
        Ok(cache) => {
            config.cache(Some(cache));
        }
        Err(e) => eprintln!("edge-host: compilation cache disabled: {e:#}"),
    }
    if pool_fits() {
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool()));
    } else {
        eprintln!(
            "edge-host: the address space is too small for the instance pool; \
             allocating each instance on its own (slower)"
        );
    }
    Engine::new(&config).map_err(|e| format!("{e:#}"))
}

/// The pool: Spin's limits per component, [`INSTANCES`] of everything.
fn pool() -> PoolingAllocationConfig {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(INSTANCES)
        .total_memories(TOTAL_MEMORIES)
        .total_tables(TOTAL_TABLES)
        .total_stacks(INSTANCES)
        .total_core_instances(CORE_INSTANCES_PER_COMPONENT * INSTANCES)
        .table_elements(100_000)
        .max_component_instance_size(10 << 20)
        .max_core_instance_size(10 << 20)
        .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
        .max_tables_per_component(64)
        .max_memories_per_component(32)
        .max_tables_per_module(2)
        .max_memories_per_module(2)
        .max_memory_size(crate::host::MAX_MEMORY_BYTES)
        .pagemap_scan(Enabled::Auto);
    if PoolingAllocationConfig::is_pagemap_scan_available() {
        pool.linear_memory_keep_resident(MEMORY_KEEP_RESIDENT)
            .table_keep_resident(TABLE_KEEP_RESIDENT);
    }
    pool
}

/// How many instances of a component needing `required` fit in the pool at once: at
/// most [`INSTANCES`], fewer when it has more than one memory or two tables (`None`,
/// not known statically: one memory and two tables are assumed). Also the bound without
/// the pool, which keeps the limit the same on every machine.
pub fn slots(required: Option<&ResourcesRequired>) -> usize {
    let (memories, tables) = required.map_or((1, 2), |r| (r.num_memories, r.num_tables));
    let fit = |total: u32, each: u32| total.checked_div(each).unwrap_or(u32::MAX);
    let slots = INSTANCES
        .min(fit(TOTAL_MEMORIES, memories))
        .min(fit(TOTAL_TABLES, tables));
    usize::try_from(slots).unwrap_or(usize::MAX)
}

/// Whether [`POOL_ADDRESS_BITS`] of address space can be reserved (Spin's probe: one
/// 64-bit memory that large).
fn pool_fits() -> bool {
    let mut config = Config::new();
    config.wasm_memory64(true);
    config.memory_reservation(1 << POOL_ADDRESS_BITS);
    let Ok(engine) = Engine::new(&config) else {
        return false;
    };
    let mut store = Store::new(&engine, ());
    let ty = MemoryType::new64(0, Some(1 << (POOL_ADDRESS_BITS - 16)));
    wasmtime::Memory::new(&mut store, ty).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs(num_memories: u32, num_tables: u32) -> ResourcesRequired {
        ResourcesRequired {
            num_memories,
            max_initial_memory_size: None,
            num_tables,
            max_initial_table_size: None,
        }
    }

    #[test]
    fn slots_are_what_the_pool_holds_of_a_component() {
        assert_eq!(slots(Some(&needs(1, 2))), 1_000);
        assert_eq!(slots(Some(&needs(0, 0))), 1_000);
        assert_eq!(slots(Some(&needs(2, 2))), 500);
        assert_eq!(slots(Some(&needs(1, 3))), 666);
        assert_eq!(slots(None), 1_000);
    }
}
