-- The key-value table edge-host keeps in <data-dir>/sqlite_key_value.db, laid out like
-- Spin's default SQLite key-value store. Read by edge-host/src/kv.rs and by the
-- benchmark's state writer (xtask/src/bench/state.rs), which prepares rows for it.
CREATE TABLE IF NOT EXISTS spin_key_value (
    store TEXT NOT NULL,
    key   TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (store, key)
);
