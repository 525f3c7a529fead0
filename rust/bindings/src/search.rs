//! Bindings for `lfr-search` (the watchlist gallery). Filled in by the gallery work.

use pyo3::prelude::*;

pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
