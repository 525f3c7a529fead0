//! Bindings for `lfr-imaging`: detector blob resize and batched face-crop warps.
//!
//! Frames are borrowed in place (C-contiguous uint8 `[H, W, C]`; any other layout is refused,
//! see `arrays`); outputs are fresh numpy arrays, sized and allocated before the GIL is
//! released, then filled without it, so other Python threads (other cameras) keep running.

use lfr_imaging::{resize_into_planar, warp_affine as warp_core, ImageRef, ImagingError};
use numpy::prelude::*;
use numpy::{PyArray4, PyReadonlyArray3};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::arrays::{c_order, zeros};

fn value_error(e: ImagingError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

fn image<'a>(data: &'a [u8], shape: &[usize]) -> PyResult<ImageRef<'a>> {
    ImageRef::new(data, shape[0], shape[1], shape[2]).map_err(value_error)
}

/// Shrink (box + bilinear) or enlarge (bilinear) a uint8 `[H, W, C]` image to
/// `height x width`, returned as a float32 `[1, C, pad_height, pad_width]` blob (values 0..255,
/// channel order kept) zero-padded on the bottom/right.
#[pyfunction]
#[pyo3(signature = (img, height, width, pad_height, pad_width))]
fn resize_to_blob<'py>(
    py: Python<'py>,
    img: &Bound<'py, PyAny>,
    height: usize,
    width: usize,
    pad_height: usize,
    pad_width: usize,
) -> PyResult<Bound<'py, PyArray4<f32>>> {
    let arr: PyReadonlyArray3<'py, u8> = img
        .extract()
        .map_err(|_| PyTypeError::new_err("img must be a uint8 numpy array [H, W, C]"))?;
    let shape = arr.shape().to_vec();
    let data = c_order("img", &arr)?;
    let src = image(data, &shape)?;
    let out: Bound<'py, PyArray4<f32>> =
        zeros(py, "the blob", &[1, shape[2], pad_height, pad_width])?;
    {
        let mut rw = out.readwrite();
        let dst = rw.as_slice_mut().expect("fresh array is contiguous");
        py.detach(|| resize_into_planar(&src, height, width, pad_height, pad_width, dst))
            .map_err(value_error)?;
    }
    Ok(out)
}

/// Bilinear warps of a uint8 `[H, W, C]` image through `inverse` (float32 `[n, 2, 3]`, crop
/// pixel -> image pixel) into uint8 `[n, size, size, C]` crops; outside the image reads as 0.
#[pyfunction]
#[pyo3(signature = (img, inverse, size))]
fn warp_affine<'py>(
    py: Python<'py>,
    img: &Bound<'py, PyAny>,
    inverse: &Bound<'py, PyAny>,
    size: usize,
) -> PyResult<Bound<'py, PyArray4<u8>>> {
    let arr: PyReadonlyArray3<'py, u8> = img
        .extract()
        .map_err(|_| PyTypeError::new_err("img must be a uint8 numpy array [H, W, C]"))?;
    let maps: PyReadonlyArray3<'py, f32> = inverse
        .extract()
        .map_err(|_| PyTypeError::new_err("inverse must be a float32 numpy array [n, 2, 3]"))?;
    let mshape = maps.shape().to_vec();
    if mshape[1] != 2 || mshape[2] != 3 {
        return Err(PyValueError::new_err(format!(
            "inverse must be [n, 2, 3], got {mshape:?}"
        )));
    }
    let flat = c_order("inverse", &maps)?;
    let mats: Vec<[f32; 6]> = flat
        .chunks_exact(6)
        .map(|c| [c[0], c[1], c[2], c[3], c[4], c[5]])
        .collect();
    let shape = arr.shape().to_vec();
    let data = c_order("img", &arr)?;
    let src = image(data, &shape)?;
    let out: Bound<'py, PyArray4<u8>> =
        zeros(py, "the crops", &[mats.len(), size, size, shape[2]])?;
    {
        let mut rw = out.readwrite();
        let dst = rw.as_slice_mut().expect("fresh array is contiguous");
        py.detach(|| warp_core(&src, &mats, size, dst))
            .map_err(value_error)?;
    }
    Ok(out)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(resize_to_blob, m)?)?;
    m.add_function(wrap_pyfunction!(warp_affine, m)?)?;
    Ok(())
}
