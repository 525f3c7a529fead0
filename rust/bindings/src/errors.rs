//! Exceptions raised by the native layer. Bad input maps to the builtin `ValueError` /
//! `TypeError` so callers need no special import; these cover states of the native objects.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    _native,
    NativeError,
    PyException,
    "Base class of errors raised by lfr._native."
);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    Ok(())
}
