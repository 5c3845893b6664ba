//! The wasmtime engine: epoch interruption, the on-disk compilation cache and — where
//! the address space allows it — the pooling instance allocator, set up as Spin's own
//! engine is (spin `crates/core/src/lib.rs`): every request's instance takes a slot of
//! memory, tables and an async stack reserved once at start-up and reused, instead of
//! mapping and unmapping them per request (each unmap a TLB shootdown on every core).
//!
//! The pool holds [`INSTANCES`] instances; [`crate::runtime::ComponentRuntime`] admits
//! no more at once (a request beyond waits for a slot rather than failing).

use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, MemoryType,
    PoolingAllocationConfig, Store,
};

/// Component instances alive at once, at most (requests being answered, and guests
/// still working after their response). Spin's default.
pub const INSTANCES: u32 = 1_000;

/// Bytes of each linear memory kept mapped between instances and reset in place
/// rather than returned to the kernel (`madvise`) and faulted in again. None: Spin
/// keeps 2 MiB, but resetting 2 MiB per request cost edge-host's `GET /api/time` 330 µs
/// of CPU against 160 µs without (`cargo xtask bench --edge-host-only`, 2026-12-02) —
/// a request touches far less than that.
const MEMORY_KEEP_RESIDENT: usize = 0;
/// The same for tables.
const TABLE_KEEP_RESIDENT: usize = 0;

/// Address bits the pool needs (1,000 memories of 4 GiB reservation and their guards,
/// about 6 TiB): as Spin probes, some aarch64 and riscv64 kernels offer only 39.
const POOL_ADDRESS_BITS: u32 = 42;

/// A new engine; errors are wasmtime's, as text.
pub fn new_engine() -> Result<Engine, String> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
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
        .total_memories(INSTANCES)
        .total_tables(2 * INSTANCES)
        .total_stacks(INSTANCES)
        .total_core_instances(4 * INSTANCES)
        .table_elements(100_000)
        .max_component_instance_size(10 << 20)
        .max_core_instance_size(10 << 20)
        .max_core_instances_per_component(200)
        .max_tables_per_component(64)
        .max_memories_per_component(32)
        .max_tables_per_module(2)
        .max_memories_per_module(2)
        .max_memory_size(crate::host::MAX_MEMORY_BYTES)
        .linear_memory_keep_resident(MEMORY_KEEP_RESIDENT)
        .table_keep_resident(TABLE_KEEP_RESIDENT);
    pool
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
