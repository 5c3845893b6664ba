//! `fermyon:spin/variables@2.0.0` (what `spin_sdk::variables::get` uses) and, over the
//! same values, `wasi:config/store@0.2.0-draft-2024-09-27`.

use crate::bindings::fermyon::spin::variables;
use crate::bindings::wasi::config::store as config;
use crate::host::HostState;
use crate::variables::VarError;

impl variables::Host for HostState {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, variables::Error>> {
        Ok(self.shared.vars.get(&name).map_err(|error| match error {
            VarError::InvalidName(reason) => variables::Error::InvalidName(reason),
            VarError::Undefined(name) => variables::Error::Undefined(format!(
                "no value for variable {name:?} (set it with --var {name}=... or SPIN_VARIABLE_{})",
                name.to_ascii_uppercase()
            )),
        }))
    }
}

impl config::Host for HostState {
    async fn get(
        &mut self,
        key: String,
    ) -> wasmtime::Result<Result<Option<String>, config::Error>> {
        Ok(match self.shared.vars.get(&key) {
            Ok(value) => Ok(Some(value)),
            Err(VarError::Undefined(_)) => Ok(None),
            Err(VarError::InvalidName(reason)) => Err(config::Error::Upstream(reason)),
        })
    }

    async fn get_all(&mut self) -> wasmtime::Result<Result<Vec<(String, String)>, config::Error>> {
        Ok(Ok(self
            .shared
            .vars
            .all()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect()))
    }
}
