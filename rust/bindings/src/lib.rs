//! `lfr._native`: the only crate that knows about Python.
//!
//! Each submodule converts Python inputs into plain Rust values, releases the GIL around the
//! heavy work in the pure crates (`lfr-search`, `lfr-tracking`), and converts the results back.
//! Nothing here holds an algorithm.

use pyo3::prelude::*;

mod arrays;
mod errors;
mod imaging;
mod search;
mod tracking;
mod tracking_input;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    imaging::register(m)?;
    search::register(m)?;
    tracking::register(m)?;
    Ok(())
}
