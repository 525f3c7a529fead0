//! `lfr-imaging`: the two per-frame pixel loops of face inference, in plain Rust.
//!
//! * [`resize_into_planar`]: a BGR frame shrunk (box filter by the integer part of the factor,
//!   then bilinear for the rest) straight into the detector's zero-padded planar float blob.
//! * [`warp_affine`]: bilinear affine warps of one frame into many small crops (the 112x112
//!   aligned faces), with a black border, matching OpenCV's `warpAffine(INTER_LINEAR)`.
//!
//! Both are single-threaded on purpose: callers already run one per worker thread, and the
//! frames are small enough that spawning would cost more than it saves.

use std::fmt;

mod resize;
mod warp;

pub use resize::resize_into_planar;
pub use warp::warp_affine;

/// A borrowed, C-contiguous `height x width x channels` u8 image.
#[derive(Clone, Copy, Debug)]
pub struct ImageRef<'a> {
    pub data: &'a [u8],
    pub height: usize,
    pub width: usize,
    pub channels: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagingError(pub String);

impl fmt::Display for ImagingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ImagingError {}

pub(crate) fn err<T>(msg: String) -> Result<T, ImagingError> {
    Err(ImagingError(msg))
}

impl<'a> ImageRef<'a> {
    pub fn new(
        data: &'a [u8],
        height: usize,
        width: usize,
        channels: usize,
    ) -> Result<Self, ImagingError> {
        if height == 0 || width == 0 || !(1..=4).contains(&channels) {
            return err(format!(
                "image must be non-empty with 1..4 channels, got {height}x{width}x{channels}"
            ));
        }
        if data.len() != height * width * channels {
            return err(format!(
                "image buffer holds {} bytes, {height}x{width}x{channels} needs {}",
                data.len(),
                height * width * channels
            ));
        }
        Ok(Self {
            data,
            height,
            width,
            channels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_shapes_and_values_are_errors() {
        let data = vec![0u8; 12];
        assert!(ImageRef::new(&data, 2, 3, 3).is_err());
        let img = ImageRef::new(&data, 2, 2, 3).unwrap();
        assert!(resize_into_planar(&img, 4, 4, 2, 2, &mut [0.0; 12]).is_err());
        assert!(warp_affine(&img, &[[f32::NAN, 0.0, 0.0, 0.0, 1.0, 0.0]], 1, &mut [0; 3]).is_err());
        assert!(warp_affine(&img, &[[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]], 2, &mut [0; 3]).is_err());
    }
}
