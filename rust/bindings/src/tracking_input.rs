//! Python values into the tracker's inputs: arrays read in row-major order (borrowed when
//! C-contiguous and aligned, copied by numpy otherwise), shapes checked with a message naming the argument, track
//! ids that must be integers, and keyword settings that keep ints and floats apart.

use std::borrow::Cow;

use lfr_tracking::{TrackerConfig, Value};
use numpy::{
    AllowTypeChange, PyArrayDescrMethods, PyArrayDyn, PyArrayLikeDyn, PyArrayMethods,
    PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyNone};

use crate::arrays::c_order;

pub type FloatArray<'py> = PyArrayLikeDyn<'py, f32, AllowTypeChange>;
pub type IntArray<'py> = PyArrayLikeDyn<'py, i64, AllowTypeChange>;

/// The array's values in row-major order: borrowed when C-contiguous and aligned; otherwise
/// (Fortran order, a strided view, unaligned memory) numpy makes an aligned C-ordered copy
/// that is read once, never memory read in the wrong order or through a misaligned slice.
pub fn values<'a, T: numpy::Element + Copy>(
    what: &str,
    a: &'a PyArrayLikeDyn<'_, T, AllowTypeChange>,
) -> PyResult<Cow<'a, [T]>> {
    if let Ok(s) = c_order(what, a) {
        return Ok(Cow::Borrowed(s));
    }
    let copy = a
        .py()
        .import("numpy")?
        .call_method1("require", (a.as_any(), PyNone::get(a.py()), "CA"))?
        .cast_into::<PyArrayDyn<T>>()?
        .readonly();
    Ok(Cow::Owned(c_order(what, &copy)?.to_vec()))
}

/// Track ids as int64: integer arrays and sequences of ints; a float array is refused rather
/// than truncated, and numpy's own conversion errors (an overflow) become `ValueError`s.
pub fn int_array<'py>(name: &str, obj: &Bound<'py, PyAny>) -> PyResult<IntArray<'py>> {
    if let Ok(arr) = obj.cast::<PyUntypedArray>() {
        let kind = arr.dtype().kind();
        if !matches!(kind, b'i' | b'u') {
            return Err(PyTypeError::new_err(format!(
                "{name} must be integers, got an array of dtype {}",
                arr.dtype().str()?
            )));
        }
    }
    obj.extract::<IntArray<'py>>().map_err(|e| {
        if e.is_instance_of::<PyTypeError>(obj.py()) {
            e
        } else {
            PyValueError::new_err(format!("{name}: {e}"))
        }
    })
}

/// Checks that `a` has `shape`, where `None` accepts any length on that axis.
pub fn check_shape(name: &str, got: &[usize], shape: &[Option<usize>]) -> PyResult<()> {
    let ok = got.len() == shape.len()
        && got
            .iter()
            .zip(shape)
            .all(|(g, s)| s.is_none_or(|s| s == *g));
    if ok {
        return Ok(());
    }
    let want: Vec<String> = shape
        .iter()
        .map(|s| s.map_or("n".to_owned(), |v| v.to_string()))
        .collect();
    Err(PyValueError::new_err(format!(
        "{name}: expected shape ({}), got {got:?}",
        want.join(", ")
    )))
}

/// A keyword override as a setting value: ints stay ints (integer settings refuse fractions),
/// bools and non-numbers are refused.
pub fn setting_value(name: &str, v: &Bound<'_, PyAny>) -> PyResult<Value> {
    if v.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "tracker.{name}: must be a number, got a bool"
        )));
    }
    if v.is_instance_of::<PyInt>() {
        return v
            .extract::<i64>()
            .map(Value::Int)
            .map_err(|_| PyValueError::new_err(format!("tracker.{name}: out of range")));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(Value::Float(v.extract::<f64>()?));
    }
    let ty = v.get_type().name()?;
    Err(PyTypeError::new_err(format!(
        "tracker.{name}: must be a number, got {ty}"
    )))
}

pub fn settings_dict<'py>(py: Python<'py>, cfg: &TrackerConfig) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (name, value) in cfg.values() {
        match value {
            Value::Int(v) => d.set_item(name, v)?,
            Value::Float(v) => d.set_item(name, v)?,
        }
    }
    Ok(d)
}
