//! What every binding does with numpy arrays: inputs are read in place only when their memory
//! is in C order (a Fortran-ordered or transposed array is contiguous too, and would be read
//! in the wrong order), and outputs are sized before anything is allocated, then allocated by
//! numpy, so a huge or impossible shape is a `ValueError` or `MemoryError`, never a panic.

use numpy::{Element, PyArray, PyReadonlyArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// The largest array a binding returns: far above any frame, blob or batch of crops lfr makes
/// (a 4096x4096 detector blob is 192 MiB), far below what would exhaust a machine.
pub const MAX_OUTPUT_BYTES: usize = 1 << 30;

/// The elements of a C-contiguous, aligned array, borrowed in place; a `ValueError` naming
/// `what` otherwise.
pub fn c_order<'a, T: Element, D: numpy::ndarray::Dimension>(
    what: &str,
    a: &'a PyReadonlyArray<'_, T, D>,
) -> PyResult<&'a [T]> {
    let refused = || {
        PyValueError::new_err(format!(
            "{what} must be C-contiguous and aligned (use numpy.ascontiguousarray)"
        ))
    };
    if !a.is_c_contiguous() || !a.is_aligned() {
        return Err(refused());
    }
    a.as_slice().map_err(|_| refused())
}

/// The number of elements of an output of `shape`, checked against `MAX_OUTPUT_BYTES`.
fn output_len<T>(what: &str, shape: &[usize]) -> PyResult<usize> {
    let elems = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    match elems.and_then(|n| n.checked_mul(size_of::<T>()).map(|bytes| (n, bytes))) {
        Some((n, bytes)) if bytes <= MAX_OUTPUT_BYTES => Ok(n),
        _ => Err(PyValueError::new_err(format!(
            "{what} would have shape {shape:?}, over the {} GiB output limit",
            MAX_OUTPUT_BYTES >> 30
        ))),
    }
}

/// A zeroed numpy array of `shape` (checked by `output_len`); numpy's `MemoryError` when the
/// machine cannot hold it.
pub fn zeros<'py, T: Element, D: numpy::ndarray::Dimension>(
    py: Python<'py>,
    what: &str,
    shape: &[usize],
) -> PyResult<Bound<'py, PyArray<T, D>>> {
    output_len::<T>(what, shape)?;
    let array = py
        .import("numpy")?
        .call_method1("zeros", (PyTuple::new(py, shape)?, numpy::dtype::<T>(py)))?;
    Ok(array.cast_into::<PyArray<T, D>>()?)
}

/// A vector of `len` copies of `value`, or a `MemoryError` (never an abort) when it cannot be
/// allocated.
pub fn filled_vec<T: Clone>(what: &str, len: usize, value: T) -> PyResult<Vec<T>> {
    let mut out = Vec::new();
    out.try_reserve_exact(len)
        .map_err(|_| PyMemoryError::new_err(format!("cannot allocate {what} ({len} elements)")))?;
    out.resize(len, value);
    Ok(out)
}
