//! Bindings for `lfr-tracking` (the per-camera tracker). Filled in by the tracker work.

use pyo3::prelude::*;

pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
