//! Bindings for `lfr-search`: the watchlist `Gallery`.
//!
//! Arrays are checked (type, dtype, shape, layout, alignment) while the GIL is held, then read
//! in place: a C-contiguous float32 array is never copied on the way in. The search itself runs
//! with the GIL released; the gallery sits behind an `RwLock` taken inside the released section,
//! so several Python threads can search at once and an `add` simply waits its turn.

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use lfr_search::{Gallery as Core, Kernel, Options, SearchError, Storage};
use numpy::ndarray::Array2;
use numpy::prelude::*;
use numpy::{PyArray2, PyReadonlyArray2, PyUntypedArray};
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::arrays::{c_order, filled_vec};

/// The most (query, rank) cells one `search` returns: 4096 queries at k = 4096, far above the
/// faces of any frame. Checked before searching: the ids and scores of a bigger request would
/// exhaust memory, and a failed Rust allocation aborts the process.
const MAX_RESULT_CELLS: usize = 1 << 24;

fn value_error(e: SearchError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// An integer argument; out-of-range ints are a `ValueError`, non-integers a `TypeError`.
fn int_arg(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    // `extract` goes through `__index__`, so numpy integers work and floats do not.
    obj.extract::<i64>().map_err(|e| {
        if e.is_instance_of::<PyOverflowError>(obj.py()) {
            PyValueError::new_err(format!("{name} is out of range"))
        } else {
            let ty = obj
                .get_type()
                .name()
                .map_or_else(|_| "?".to_owned(), |n| n.to_string());
            PyTypeError::new_err(format!("{name} must be an int, got {ty}"))
        }
    })
}

/// `(2, 3)` / `(5,)`, as Python prints a shape.
fn py_shape(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A float32 `[n, dim]` array, checked (its layout is checked by `c_order` when it is read).
fn matrix<'py>(
    what: &str,
    obj: &Bound<'py, PyAny>,
    dim: usize,
) -> PyResult<PyReadonlyArray2<'py, f32>> {
    let py = obj.py();
    let Ok(arr) = obj.cast::<PyUntypedArray>() else {
        let ty = obj.get_type().name()?;
        return Err(PyTypeError::new_err(format!(
            "{what} must be a numpy.ndarray of float32, got {ty}"
        )));
    };
    let dtype = arr.dtype();
    if !dtype.is_equiv_to(&numpy::dtype::<f32>(py)) {
        return Err(PyTypeError::new_err(format!(
            "{what} must have dtype float32 (native byte order), got {}",
            dtype.str()?
        )));
    }
    if arr.ndim() != 2 || arr.shape()[1] != dim {
        return Err(PyValueError::new_err(format!(
            "{what} must have shape (n, {dim}), got {}",
            py_shape(arr.shape())
        )));
    }
    let typed = obj.cast::<PyArray2<f32>>()?;
    typed
        .try_readonly()
        .map_err(|e| PyValueError::new_err(format!("{what} cannot be read: {e}")))
}

/// `(ids per query, scores [n, k])`.
type SearchResult<'py> = (Vec<Vec<String>>, Bound<'py, PyArray2<f32>>);

/// A watchlist gallery: templates per identity, searched for the best `k` identities.
#[pyclass(module = "lfr._native", name = "Gallery", frozen)]
pub struct PyGallery {
    inner: RwLock<Core>,
    dim: usize,
}

impl PyGallery {
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Core> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }
    fn write(&self) -> RwLockWriteGuard<'_, Core> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[pymethods]
impl PyGallery {
    #[new]
    #[pyo3(signature = (dim = 128, *, storage = "f32", threads = None, kernel = "auto"))]
    fn new(dim: i64, storage: &str, threads: Option<i64>, kernel: &str) -> PyResult<Self> {
        let kernel = match kernel {
            "auto" => None,
            name => Some(Kernel::from_name(name).ok_or_else(|| {
                PyValueError::new_err(format!(
                    "kernel must be one of \"auto\", \"scalar\", \"avx2\", \"avx512\", \"neon\"; got {name:?}"
                ))
            })?),
        };
        if dim < 1 {
            return Err(PyValueError::new_err(format!(
                "dim must be in 1..={}, got {dim}",
                lfr_search::MAX_DIM
            )));
        }
        let dim_u = dim as usize;
        let threads = match threads {
            Some(t) if t < 1 => {
                return Err(PyValueError::new_err(format!(
                    "threads must be at least 1, got {t}"
                )))
            }
            Some(t) => Some(t as usize),
            None => None,
        };
        let opts = Options {
            storage: Storage::from_name(storage).map_err(value_error)?,
            kernel,
            threads,
        };
        let core = Core::new(dim_u, opts).map_err(value_error)?;
        Ok(Self {
            inner: RwLock::new(core),
            dim: dim_u,
        })
    }

    /// Adds one template per id (rows are L2-normalised); a repeated id adds another template
    /// to the same identity. Validated in full first: on error nothing is added.
    fn add(
        &self,
        py: Python<'_>,
        ids: &Bound<'_, PyAny>,
        templates: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        if ids.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(
                "ids must be a sequence of str, not a single str",
            ));
        }
        let ids: Vec<String> = ids
            .extract()
            .map_err(|_| PyTypeError::new_err("ids must be a sequence of str"))?;
        let arr = matrix("templates", templates, self.dim)?;
        if arr.shape()[0] != ids.len() {
            return Err(PyValueError::new_err(format!(
                "templates has {} rows but {} ids were given",
                arr.shape()[0],
                ids.len()
            )));
        }
        let flat = c_order("templates", &arr)?;
        py.detach(|| self.write().add(&ids, flat))
            .map_err(value_error)
    }

    /// Removes every template of `id`; returns how many (0 for an unknown id).
    fn remove(&self, py: Python<'_>, id: &str) -> usize {
        py.detach(|| self.write().remove(id))
    }

    /// Best `k` identities per query row: `(ids, scores)`, ids best first, one per identity;
    /// scores is float32 `[n, k]`, padded with -inf where fewer than `k` identities exist.
    fn search<'py>(
        &self,
        py: Python<'py>,
        queries: &Bound<'py, PyAny>,
        k: &Bound<'py, PyAny>,
    ) -> PyResult<SearchResult<'py>> {
        let k_raw = int_arg("k", k)?;
        let k = usize::try_from(k_raw)
            .ok()
            .filter(|&k| (1..=lfr_search::MAX_K).contains(&k))
            .ok_or_else(|| {
                value_error(SearchError::InvalidK {
                    k: k_raw,
                    max: lfr_search::MAX_K,
                })
            })?;
        let arr = matrix("queries", queries, self.dim)?;
        let flat = c_order("queries", &arr)?;
        // The result is [n, k] whatever the gallery holds: sized before the search runs.
        let n = arr.shape()[0];
        let cells = n
            .checked_mul(k)
            .filter(|&cells| cells <= MAX_RESULT_CELLS)
            .ok_or_else(|| {
                PyValueError::new_err(format!(
                    "{n} queries at k = {k} would return {n}x{k} results, over the limit of \
                     {MAX_RESULT_CELLS} per call; search in batches"
                ))
            })?;
        let found = py
            .detach(|| self.read().search(flat, k))
            .map_err(value_error)?;
        let padded = filled_vec("the scores", cells, f32::NEG_INFINITY)?;
        let mut scores = Array2::from_shape_vec((found.len(), k), padded)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let mut ids = Vec::with_capacity(found.len());
        for (row, hits) in found.into_iter().enumerate() {
            ids.push(
                hits.into_iter()
                    .enumerate()
                    .map(|(j, (name, s))| {
                        scores[(row, j)] = s;
                        name.to_string()
                    })
                    .collect(),
            );
        }
        Ok((ids, PyArray2::from_owned_array(py, scores)))
    }

    /// Distinct identities, in enrolment order.
    fn identities(&self) -> Vec<String> {
        self.read()
            .identities()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn __len__(&self) -> usize {
        self.read().len()
    }

    #[getter]
    fn dim(&self) -> usize {
        self.dim
    }

    #[getter]
    fn storage(&self) -> &'static str {
        self.read().storage().name()
    }

    /// The kernel in use (resolved from "auto").
    #[getter]
    fn kernel(&self) -> &'static str {
        self.read().kernel().name()
    }

    #[getter]
    fn threads(&self) -> usize {
        self.read().threads()
    }

    /// Kernel names this CPU can run, slowest first ("scalar" always).
    #[staticmethod]
    fn available_kernels() -> Vec<&'static str> {
        Kernel::available().into_iter().map(Kernel::name).collect()
    }

    fn __repr__(&self) -> String {
        let g = self.read();
        format!(
            "Gallery(dim={}, storage={:?}, templates={}, identities={}, kernel={:?}, threads={})",
            g.dim(),
            g.storage().name(),
            g.len(),
            g.identities().len(),
            g.kernel().name(),
            g.threads()
        )
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyGallery>()?;
    Ok(())
}
